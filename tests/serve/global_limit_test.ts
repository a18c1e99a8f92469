/**
 * `apigw serve` enforces RateLimit `spec.global` with the same limiter as `apigw authz`
 * (in memory here, Redis with `--redis-url`): per client address by default, keyed by the
 * socket address however the client fills `x-forwarded-for`, or by a header.
 */
import assert from "node:assert/strict";
import { apiRule, startGateway, startUpstream, upstreamService } from "./_gateway.ts";

function rateLimit(name: string, key: Record<string, unknown>, maxTokens: number): string {
  return JSON.stringify({
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: { name, namespace: "test" },
    spec: {
      selectorLabels: { app: "upstream" },
      enableResponseHeaders: true,
      local: { defaultBucket: { maxTokens: 1000, tokensPerFill: 1000, fillInterval: "1s" } },
      global: {
        key,
        defaultBucket: { maxTokens, tokensPerFill: 1, fillInterval: "1h" },
      },
    },
  });
}

Deno.test("apigw serve enforces global rate limits per client", async (t) => {
  await using upstream = await startUpstream();
  await t.step("by client address, which x-forwarded-for cannot change", async () => {
    await using gateway = await startGateway({
      "service.json": upstreamService(upstream.port),
      "api.json": apiRule("api", { host: "api.test", port: upstream.port }, [
        { path: "/{**}", methods: ["GET"], noAuth: true },
      ]),
      "limit.json": rateLimit("per-ip", { clientAddress: { trustedHops: 0 } }, 2),
    });
    const statuses: number[] = [];
    for (const spoof of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) {
      const response = await gateway.fetch("http://api.test/x", {
        headers: { "x-forwarded-for": spoof },
      });
      await response.body?.cancel();
      statuses.push(response.status);
      if (response.status === 200) {
        assert.match(
          response.headers.get("ratelimit") ?? "",
          /"test\/per-ip\/default";r=\d+;t=\d+/,
        );
      } else {
        assert.ok(response.headers.get("retry-after") !== null, "Retry-After on a 429");
      }
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    const metrics = await fetch(`http://127.0.0.1:${gateway.managementPort}/metrics`);
    const text = await metrics.text();
    const checks = (result: string) =>
      `apigw_ratelimit_checks_total{ratelimit="test/per-ip",bucket="default",result="${result}"}`;
    assert.ok(text.includes(`${checks("allowed")} 2`), text);
    assert.ok(text.includes(`${checks("limited")} 1`), text);
  });

  await t.step("by header: each tenant has its own bucket", async () => {
    await using gateway = await startGateway({
      "service.json": upstreamService(upstream.port),
      "api.json": apiRule("api", { host: "api.test", port: upstream.port }, [
        { path: "/{**}", methods: ["GET"], noAuth: true },
      ]),
      "limit.json": rateLimit("per-tenant", { header: { name: "x-tenant" } }, 1),
    });
    const status = async (tenant: string) => {
      const response = await gateway.fetch("http://api.test/x", {
        headers: { "x-tenant": tenant },
      });
      await response.body?.cancel();
      return response.status;
    };
    assert.deepEqual(
      [await status("a"), await status("b"), await status("a"), await status("b")],
      [200, 200, 429, 429],
    );
  });
});
