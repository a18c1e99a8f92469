import assert from "node:assert/strict";
import { generateCertificates } from "./certificates.ts";
import { createWebhookServer } from "./tls_server.ts";

async function status(port: number, caPem: string): Promise<number | string> {
  const client = Deno.createHttpClient({ caCerts: [caPem] });
  try {
    const response = await fetch(`https://127.0.0.1:${port}/echo`, {
      client,
      method: "POST",
      body: "ping",
    });
    const text = await response.text();
    return text === "ping" ? response.status : `unexpected body ${text}`;
  } catch {
    return "handshake failed";
  } finally {
    client.close();
  }
}

Deno.test("createWebhookServer() opens on the first load and serves a new pair to new handshakes", async () => {
  const [first, second] = await Promise.all(
    [0, 1].map(() => generateCertificates({ ipAddresses: ["127.0.0.1"], key: "ecdsa-p256" })),
  ) as [
    Awaited<ReturnType<typeof generateCertificates>>,
    Awaited<ReturnType<typeof generateCertificates>>,
  ];
  const server = createWebhookServer(
    async (request) => new Response(await request.text()),
    { hostname: "127.0.0.1", port: 0 },
  );
  try {
    const before = server.address;
    assert.equal(before, undefined);
    await server.load({ certPem: first.certPem, keyPem: first.keyPem });
    const port = server.address?.port ?? 0;
    assert.equal(await status(port, first.caPem), 200);
    await server.load({ certPem: second.certPem, keyPem: second.keyPem });
    assert.equal(server.address?.port, port);
    assert.equal(await status(port, second.caPem), 200);
    assert.equal(await status(port, first.caPem), "handshake failed");
  } finally {
    await server.close();
  }
});

Deno.test("createWebhookServer() closes without waiting for idle keep-alive connections", async () => {
  const pair = await generateCertificates({ ipAddresses: ["127.0.0.1"], key: "ecdsa-p256" });
  const server = createWebhookServer(
    async (request) => new Response(await request.text()),
    { hostname: "127.0.0.1", port: 0 },
  );
  await server.load({ certPem: pair.certPem, keyPem: pair.keyPem });
  const client = Deno.createHttpClient({ caCerts: [pair.caPem] });
  try {
    const response = await fetch(`https://127.0.0.1:${server.address?.port}/`, {
      client,
      method: "POST",
      body: "x",
    });
    await response.text();
    const started = performance.now();
    await server.close();
    assert.ok(performance.now() - started < 2_000, "closed before the grace period");
  } finally {
    client.close();
  }
});
