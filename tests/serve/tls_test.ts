/**
 * TLS termination and HTTP/2 of `apigw serve` (curl speaks h2 over ALPN), and TLS to an
 * `appProtocol: https` upstream trusted through `--upstream-ca`.
 */
import assert from "node:assert/strict";
import { generateCertificates } from "../../webhook/certificates.ts";
import { apiRule, startGateway, upstreamService } from "./_gateway.ts";

Deno.test("apigw serve terminates TLS, speaks HTTP/2 and forwards to a TLS upstream", async () => {
  const certs = await generateCertificates({
    dnsNames: ["api.test", "localhost"],
    ipAddresses: ["127.0.0.1"],
    key: "ecdsa-p256",
  });
  const dir = await Deno.makeTempDir({ prefix: "apigw-serve-tls-" });
  try {
    await Deno.writeTextFile(`${dir}/tls.crt`, certs.certPem);
    await Deno.writeTextFile(`${dir}/tls.key`, certs.keyPem);
    await Deno.writeTextFile(`${dir}/ca.crt`, certs.caPem);
    const abort = new AbortController();
    const upstream = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: certs.certPem,
      key: certs.keyPem,
      signal: abort.signal,
      onListen() {},
    }, (request) => Response.json({ path: new URL(request.url).pathname, tls: true }));
    try {
      await using gateway = await startGateway({
        "service.json": upstreamService(upstream.addr.port, { https: true }),
        "api.json": apiRule("api", { host: "api.test", port: upstream.addr.port }, [
          { path: "/*", methods: ["GET"], noAuth: true },
        ]),
      }, {
        args: [
          "--tls-cert",
          `${dir}/tls.crt`,
          "--tls-key",
          `${dir}/tls.key`,
          "--upstream-ca",
          `${dir}/ca.crt`,
        ],
      });
      const url = `https://api.test:${gateway.port}/hello`;
      const output = await new Deno.Command("curl", {
        args: [
          "-sS",
          "--http2",
          "--cacert",
          `${dir}/ca.crt`,
          "--resolve",
          `api.test:${gateway.port}:127.0.0.1`,
          "-w",
          "\n%{http_code} %{http_version}",
          url,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(output.stdout);
      assert.ok(output.success, new TextDecoder().decode(output.stderr));
      const [body, status] = text.split("\n");
      assert.equal(status, "200 2");
      assert.deepEqual(JSON.parse(body!), { path: "/hello", tls: true });
      const served = gateway.logs.map((l) => JSON.parse(l)).find((e) => e.msg === "Served request");
      assert.equal(served?.status, 200);
    } finally {
      abort.abort();
      await upstream.finished;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
