import assert from "node:assert/strict";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { DAY_MS, generateCertificates, verifyCertificates } from "./certificates.ts";

const HOST = "api-gateway-webhook-service.kyma-system.svc";

Deno.test("generateCertificates() issues a serving certificate that TLS clients accept for its IP SAN", async (t) => {
  for (const key of ["ecdsa-p256", "rsa-2048"] as const) {
    await t.step(key, async () => {
      const bundle = await generateCertificates({
        dnsNames: ["localhost"],
        ipAddresses: ["127.0.0.1"],
        key,
      });
      const server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, cert: bundle.certPem, key: bundle.keyPem, onListen() {} },
        () => new Response("ok"),
      );
      const client = Deno.createHttpClient({ caCerts: [bundle.caPem] });
      try {
        const response = await fetch(`https://127.0.0.1:${server.addr.port}/`, { client });
        assert.equal(await response.text(), "ok");
      } finally {
        client.close();
        await server.shutdown();
      }
    });
  }
});

Deno.test("generateCertificates() follows docs/spec/certificate.md §2: names, window, PKCS#1 key, bundle order", async () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const bundle = await generateCertificates({ dnsNames: [HOST], now, key: "rsa-2048" });
  const [leafDer, caDer] = x509.PemConverter.decode(bundle.certPem);
  const leaf = new x509.X509Certificate(leafDer!);
  const ca = new x509.X509Certificate(caDer!);
  assert.equal(leaf.subject, `CN=${HOST}@${now.getTime() / 1000}`);
  assert.equal(ca.subject, `CN=${HOST}-ca@${now.getTime() / 1000}`);
  assert.equal(leaf.issuer, ca.subject);
  assert.equal(leaf.notBefore.getTime(), now.getTime() - 60 * 60 * 1000);
  assert.equal(leaf.notAfter.getTime(), leaf.notBefore.getTime() + 90 * DAY_MS);
  assert.match(bundle.keyPem, /^-----BEGIN RSA PRIVATE KEY-----/);
  const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
  assert.deepEqual(san?.names.toJSON(), [{ type: "dns", value: HOST }]);
});

Deno.test("verifyCertificates() accepts fresh material and refuses what §4 calls invalid", async (t) => {
  const now = new Date();
  const a = await generateCertificates({
    dnsNames: [HOST],
    key: "ecdsa-p256",
    lifetimeMs: 30 * DAY_MS,
  });
  const b = await generateCertificates({ dnsNames: [HOST], key: "ecdsa-p256" });
  const cases: Array<[string, string, string, Date, boolean]> = [
    ["valid now", a.certPem, a.keyPem, now, true],
    [
      "expires within the renewal margin",
      a.certPem,
      a.keyPem,
      new Date(now.getTime() + 40 * DAY_MS),
      false,
    ],
    ["not yet valid", a.certPem, a.keyPem, new Date(now.getTime() - 2 * 60 * 60 * 1000), false],
    [
      "CA missing from the bundle",
      a.certPem.split(/(?<=-----END CERTIFICATE-----)\n/)[0]!,
      a.keyPem,
      now,
      false,
    ],
    [
      "CA of another pair",
      a.certPem.split(/(?<=-----END CERTIFICATE-----)\n/)[0]! + "\n" + b.caPem,
      a.keyPem,
      now,
      false,
    ],
    ["key of another pair", a.certPem, b.keyPem, now, false],
    [
      "garbage key",
      a.certPem,
      "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
      now,
      false,
    ],
    ["garbage certificate", "not a certificate", a.keyPem, now, false],
  ];
  for (const [name, crt, key, at, valid] of cases) {
    await t.step(name, async () => {
      const verdict = await verifyCertificates(crt, key, at);
      assert.equal(verdict.valid, valid, verdict.valid ? "" : verdict.reason);
    });
  }
});
