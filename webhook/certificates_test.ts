import assert from "node:assert/strict";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { generateCertificates } from "./certificates.ts";

Deno.test("generateCertificates() issues a serving certificate that TLS clients accept for its IP SAN", async () => {
  const bundle = await generateCertificates({
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
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

Deno.test("generateCertificates() signs the leaf with the CA and honours the lifetime", async () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const bundle = await generateCertificates({ dnsNames: ["svc.ns.svc"], lifetimeMs: 60_000, now });
  const [leafPem] = bundle.certPem.split(/(?<=-----END CERTIFICATE-----)\n/);
  const leaf = new x509.X509Certificate(leafPem!);
  const ca = new x509.X509Certificate(bundle.caPem);
  assert.equal(await leaf.verify({ publicKey: ca.publicKey, date: now }), true);
  assert.equal(leaf.notAfter.getTime(), now.getTime() + 60_000);
  assert.equal(leaf.issuer, ca.subject);
});
