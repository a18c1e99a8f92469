/**
 * The conversion webhook for the test cluster. APIRule's storage version is v2alpha1, so the
 * apiserver cannot store or serve a v2 or v1beta1 APIRule without it: the runner serves apigw's
 * webhook app over TLS on a free loopback port, with a throwaway CA (IP SAN 127.0.0.1), and
 * points the CRD's conversion at `https://127.0.0.1:<port>/convert` with that CA.
 */
import { createWebhookApp } from "../../webhook/app.ts";
import { apiruleConverter } from "../../webhook/apirule_converter.ts";
import { generateCertificates } from "../../webhook/certificates.ts";
import { createLogger } from "../../lib/log.ts";

export interface TestWebhook {
  url: string;
  caPem: string;
  close(): Promise<void>;
}

/** Serves the webhook app on 127.0.0.1:0 with a fresh certificate. */
export async function startTestWebhook(logFile: string): Promise<TestWebhook> {
  // ECDSA: two RSA-4096 keys would add seconds to every run for nothing a test looks at.
  const bundle = await generateCertificates({
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    key: "ecdsa-p256",
  });
  const file = await Deno.open(logFile, { create: true, append: true });
  const encoder = new TextEncoder();
  const log = createLogger({
    level: "info",
    write: (line) => file.writeSync(encoder.encode(line + "\n")),
  });
  const app = createWebhookApp({ convert: apiruleConverter, log });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: bundle.certPem, key: bundle.keyPem, onListen() {} },
    app.fetch,
  );
  return {
    url: `https://127.0.0.1:${server.addr.port}`,
    caPem: bundle.caPem,
    async close() {
      await server.shutdown();
      file.close();
    },
  };
}

/** The CRDs with every webhook conversion pointed at `webhook` (others unchanged). */
export function withWebhookConversion(crds: readonly unknown[], webhook: TestWebhook): unknown[] {
  const caBundle = btoa(webhook.caPem);
  return crds.map((crd) => {
    const spec = (crd as { spec?: { conversion?: { strategy?: string; webhook?: unknown } } }).spec;
    if (spec?.conversion?.strategy !== "Webhook") return crd;
    const path = "/convert";
    return {
      ...(crd as object),
      spec: {
        ...spec,
        conversion: {
          strategy: "Webhook",
          webhook: {
            conversionReviewVersions: ["v1", "v1beta1"],
            clientConfig: { url: `${webhook.url}${path}`, caBundle },
          },
        },
      },
    };
  });
}
