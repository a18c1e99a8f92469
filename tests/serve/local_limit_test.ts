/**
 * `apigw serve` applies RateLimit `spec.local` buckets per process, and a query string never moves
 * a request out of its bucket: `/limited?x=1` draws from the `/limited` bucket (the global
 * buckets of `apigw authz` select alike; docs/upstream-differences.md, RateLimit).
 */
import assert from "node:assert/strict";
import { apiRule, startGateway, startUpstream, upstreamService } from "./_gateway.ts";

const RATE_LIMIT = JSON.stringify({
  apiVersion: "gateway.kyma-project.io/v1alpha1",
  kind: "RateLimit",
  metadata: { name: "local", namespace: "test" },
  spec: {
    selectorLabels: { app: "upstream" },
    enableResponseHeaders: true,
    local: {
      defaultBucket: { maxTokens: 100, tokensPerFill: 100, fillInterval: "1m" },
      buckets: [{
        path: "/limited",
        bucket: { maxTokens: 2, tokensPerFill: 1, fillInterval: "1h" },
      }],
    },
  },
});

Deno.test("apigw serve counts /limited?query against the /limited bucket", async () => {
  await using upstream = await startUpstream();
  await using gateway = await startGateway({
    "service.json": upstreamService(upstream.port),
    "api.json": apiRule("api", { host: "api.test", port: upstream.port }, [
      { path: "/{**}", methods: ["GET"], noAuth: true },
    ]),
    "limit.json": RATE_LIMIT,
  });
  const answers: { status: number; limit: string | null; policy: string | null }[] = [];
  for (const path of ["/limited", "/limited?x=1", "/limited?y=2", "/other?x=1"]) {
    const response = await gateway.fetch(`http://api.test${path}`);
    await response.body?.cancel();
    answers.push({
      status: response.status,
      limit: response.headers.get("x-ratelimit-limit"),
      policy: response.headers.get("ratelimit-policy"),
    });
  }
  assert.deepEqual(answers, [
    { status: 200, limit: "2", policy: null },
    { status: 200, limit: "2", policy: null },
    { status: 429, limit: "2", policy: '"test/local/0";q=2;w=7200' },
    { status: 200, limit: "100", policy: null },
  ]);
  assert.deepEqual(upstream.seen, ["/limited", "/limited?x=1", "/other?x=1"]);
});
