/**
 * `apigw operator` serving the webhooks on the test cluster, with the certificate its own
 * controller makes (no test-made certificate): the operator listens on a free loopback port with
 * 127.0.0.1 as an extra SAN; the APIRule CRD's conversion and apigw's two webhook configurations
 * point at `https://127.0.0.1:<port>` (docs/spec/test-cluster.md §4.3) and get their `caBundle` from the
 * operator. `restore()` puts the harness's conversion back and removes the configurations, so the
 * test files after this one find the cluster as it was.
 */
import {
  CERTIFICATE_SECRET,
  MUTATING_WEBHOOK_CONFIGURATION,
  mutatingWebhookConfiguration,
  operatorUsername,
  VALIDATING_WEBHOOK_CONFIGURATION,
  validatingWebhookConfiguration,
} from "../../api/webhook_configurations.ts";
import { SERVICE_ACCOUNT } from "../../cli/manifests_rbac.ts";
import { isRecord } from "../../kube/object.ts";
import { poll, type TestCluster } from "../cluster/mod.ts";
import { applyAsAdmin, type OperatorProcess, startOperator } from "../operator/_operator.ts";

export const NAMESPACE = "kyma-system";
const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" +
  "apirules.gateway.kyma-project.io";
export const SECRET_PATH = `/api/v1/namespaces/${NAMESPACE}/secrets/${CERTIFICATE_SECRET}`;
/** Namespaces with this label get apigw's admission webhooks; no other test is affected. */
export const ADMISSION_LABEL = "apigw.test/admission-webhooks";

export interface WebhookOperator {
  process: OperatorProcess;
  /** `https://127.0.0.1:<port>` */
  url: string;
  port: number;
}

/** Starts `apigw operator --webhook-listen=127.0.0.1:<port>` and reads the port it got. */
export async function startWebhookOperator(
  cluster: TestCluster,
  kubeconfig: string,
  options: { port?: number; args?: string[] } = {},
): Promise<WebhookOperator> {
  const process = await startOperator(cluster, kubeconfig, {
    name: "webhook-operator",
    args: [
      `--webhook-listen=127.0.0.1:${options.port ?? 0}`,
      "--webhook-certificate-extra-sans=127.0.0.1",
      // Two RSA-4096 keys per renewal would cost seconds of a shared CI core for nothing.
      "--webhook-certificate-key=ecdsa-p256",
      ...(options.args ?? []),
    ],
  });
  const line = (await process.logs()).find((l) => l.msg === "Serving webhooks");
  const address = typeof line?.address === "string" ? line.address : "";
  const port = Number(address.split(":").pop());
  if (!(port > 0)) throw new Error(`The operator logged no webhook address (${process.logPath})`);
  return { process, url: `https://127.0.0.1:${port}`, port };
}

/**
 * Records the CRD's conversion as the harness set it up (call it before the operator starts: the
 * operator injects its own `caBundle` at once); returns what puts it back, removes apigw's webhook
 * configurations, and waits until APIRules read through the harness's webhook again.
 */
export async function preserveWebhooks(
  cluster: TestCluster,
): Promise<{ restore(): Promise<void> }> {
  const crd = await cluster.request("GET", CRD_PATH);
  const original = isRecord(crd.json) && isRecord(crd.json.spec)
    ? crd.json.spec.conversion
    : undefined;
  if (!isRecord(original)) throw new Error(`The APIRule CRD has no conversion: ${crd.text}`);
  return {
    async restore() {
      await cluster.request("PATCH", CRD_PATH, [
        { op: "replace", path: "/spec/conversion", value: original },
      ], "application/json-patch+json");
      for (
        const path of [
          `validatingwebhookconfigurations/${VALIDATING_WEBHOOK_CONFIGURATION}`,
          `mutatingwebhookconfigurations/${MUTATING_WEBHOOK_CONFIGURATION}`,
        ]
      ) {
        await cluster.request("DELETE", `/apis/admissionregistration.k8s.io/v1/${path}`);
      }
      // The apiserver's caches of every APIRule version convert through the restored webhook.
      for (const version of ["v1beta1", "v2"]) {
        await poll(async () => {
          const list = await cluster.request(
            "GET",
            `/apis/gateway.kyma-project.io/${version}/apirules`,
          );
          return list.status === 200 ? true : undefined;
        }, { timeoutMs: 60_000, intervalMs: 250, what: `APIRules to list as ${version} again` });
      }
    },
  };
}

/**
 * Points the CRD's conversion and the webhook configurations (scoped to namespaces labelled
 * `ADMISSION_LABEL`) at `url`. The operator injects the `caBundle`s.
 */
export async function pointWebhooksAt(cluster: TestCluster, url: string): Promise<void> {
  await switchConversion(cluster, `${url}/convert`);
  const scope = { namespaceSelector: { matchLabels: { [ADMISSION_LABEL]: "true" } } };
  const operatorUser = operatorUsername(NAMESPACE, SERVICE_ACCOUNT);
  for (
    const configuration of [
      validatingWebhookConfiguration({ url }, { operatorUser }),
      mutatingWebhookConfiguration({ url }),
    ]
  ) {
    const webhooks = Array.isArray(configuration.webhooks) ? configuration.webhooks : [];
    const scoped = {
      ...configuration,
      webhooks: webhooks.map((w) => isRecord(w) ? { ...w, ...scope } : w),
    };
    const applied = await applyAsAdmin(cluster, scoped);
    if (applied.status >= 300) throw new Error(`Cannot apply webhooks: ${applied.text}`);
  }
}

/** Sets the CRD's conversion URL, keeping whatever `caBundle` it has. */
export async function switchConversion(cluster: TestCluster, url: string): Promise<void> {
  const patched = await cluster.request("PATCH", CRD_PATH, {
    spec: { conversion: { webhook: { clientConfig: { url, service: null } } } },
  }, "application/merge-patch+json");
  if (patched.status !== 200) throw new Error(`Cannot point the conversion: ${patched.text}`);
}

/** The `caBundle` (PEM) of the CRD's conversion. */
export async function crdCaBundle(cluster: TestCluster): Promise<string> {
  const crd = await cluster.request("GET", CRD_PATH);
  const spec = isRecord(crd.json) && isRecord(crd.json.spec) ? crd.json.spec : {};
  const conversion = isRecord(spec.conversion) ? spec.conversion : {};
  const webhook = isRecord(conversion.webhook) ? conversion.webhook : {};
  const clientConfig = isRecord(webhook.clientConfig) ? webhook.clientConfig : {};
  return typeof clientConfig.caBundle === "string" ? atob(clientConfig.caBundle) : "";
}

/** The decoded data of the certificate Secret, or undefined while it does not exist. */
export async function certificateSecret(
  cluster: TestCluster,
): Promise<{ data: Record<string, string>; uid: string } | undefined> {
  const response = await cluster.request("GET", SECRET_PATH);
  if (response.status === 404 || !isRecord(response.json)) return undefined;
  const data = isRecord(response.json.data) ? response.json.data : {};
  const metadata = isRecord(response.json.metadata) ? response.json.metadata : {};
  return {
    data: Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, typeof v === "string" ? atob(v) : ""]),
    ),
    uid: typeof metadata.uid === "string" ? metadata.uid : "",
  };
}

/** The certificate the server at `url` presents now, checked against `caPem`. */
export async function servesWith(url: string, caPem: string): Promise<boolean> {
  const client = Deno.createHttpClient({ caCerts: [caPem] });
  try {
    const response = await fetch(`${url}/healthz`, { client });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** Creates a labelled namespace for admission tests (if missing). */
export async function admissionNamespace(cluster: TestCluster, name: string): Promise<void> {
  await cluster.ensureNamespace(name);
  await cluster.request("PATCH", `/api/v1/namespaces/${name}`, {
    metadata: { labels: { [ADMISSION_LABEL]: "true" } },
  }, "application/merge-patch+json");
}

/**
 * Waits until an APIRule in `namespace` reads back as v1beta1: the apiserver reached the
 * operator's conversion webhook and trusted its certificate.
 */
export async function waitForConversion(cluster: TestCluster, namespace: string): Promise<void> {
  const probe = {
    apiVersion: "gateway.kyma-project.io/v2alpha1",
    kind: "APIRule",
    metadata: { name: "conversion-probe", namespace },
    spec: {
      hosts: ["probe.example.com"],
      gateway: "kyma-system/kyma-gateway",
      service: { name: "probe", port: 80 },
      rules: [{ path: "/a", methods: ["GET"], noAuth: true }],
    },
  };
  const base = `/apis/gateway.kyma-project.io`;
  await poll(async () => {
    // In a namespace with admission webhooks the create itself waits for their caBundle.
    const created = await cluster.request(
      "POST",
      `${base}/v2alpha1/namespaces/${namespace}/apirules`,
      probe,
    );
    if (created.status !== 201 && created.status !== 409) return undefined;
    const read = await cluster.request(
      "GET",
      `${base}/v1beta1/namespaces/${namespace}/apirules/conversion-probe`,
    );
    return read.status === 200 ? true : undefined;
  }, { timeoutMs: 60_000, intervalMs: 250, what: "conversion through the operator's webhook" });
}

/** Stops the operator, restores the cluster's webhooks and deletes the certificate Secret. */
export async function cleanUp(
  cluster: TestCluster,
  parts: { operator?: WebhookOperator; webhooks?: { restore(): Promise<void> } },
): Promise<void> {
  await parts.operator?.process.stop();
  await parts.webhooks?.restore();
  await cluster.request("DELETE", SECRET_PATH);
}
