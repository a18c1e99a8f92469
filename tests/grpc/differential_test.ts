/**
 * Differential test: the same configuration and the same descriptor sequence, sent by the same
 * Go client, against envoyproxy/ratelimit (built from the Go module proxy at the version pinned
 * in tests/grpc/ratelimit/go.mod) and `apigw authz --rls-listen`, both counting in the harness
 * Redis (each in its own keys). Codes, remaining counts, limits and x-ratelimit headers must be
 * equal. Minute and hour windows, started ≥ 5 s from a minute edge so a window cannot turn over
 * in the middle of the sequence.
 */
import assert from "node:assert/strict";
import { cachedGrpcPeers } from "./build.ts";
import {
  awayFromMinuteEdge,
  type ClientResult,
  goClient,
  startEnvoyRatelimit,
  startRls,
} from "./_peers.ts";

const peers = await cachedGrpcPeers();
const REDIS = Deno.env.get("APIGW_TEST_REDIS_URL");
const ignore = peers === undefined || REDIS === undefined;
if (ignore) {
  console.log(
    "Skipped tests/grpc/differential_test.ts: needs the gRPC peers (deno task grpc:build) and the harness Redis (deno task test)",
  );
}

/** The shapes of envoyproxy/ratelimit's example configuration, with our own names. */
const CONFIG = `
domain: diff
descriptors:
  - key: category
    value: account
    rate_limit:
      replaces:
        - name: per_member
      unit: minute
      requests_per_unit: 4
  - key: source
    value: edge
    descriptors:
      - key: destination
        value: orders
        rate_limit:
          name: per_member
          unit: minute
          requests_per_unit: 2
      - key: destination
        rate_limit:
          unit: hour
          requests_per_unit: 3
  - key: tenant
    rate_limit:
      unit: minute
      requests_per_unit: 2
    descriptors:
      - key: plan
        value: gold
        rate_limit:
          unit: minute
          requests_per_unit: 5
      - key: plan
        value: trial*
        rate_limit:
          unit: hour
          requests_per_unit: 1
      - key: plan
        value: shady
        shadow_mode: true
        rate_limit:
          unit: minute
          requests_per_unit: 1
      - key: plan
        rate_limit:
          unlimited: true
  - key: report
    detailed_metric: true
    rate_limit:
      unit: minute
      requests_per_unit: 3
  - key: banned
    rate_limit:
      unit: minute
      requests_per_unit: 0
`;

type Pair = [string, string];

function sequence(run: string): unknown[] {
  const req = (descriptors: Pair[][], hitsAddend?: number) => ({
    domain: "diff",
    descriptors: descriptors.map((entries) => ({
      entries: entries.map(([key, value]) => ({ key, value })),
    })),
    ...(hitsAddend !== undefined ? { hitsAddend } : {}),
  });
  const tenant: Pair = ["tenant", `t-${run}`];
  const member: Pair[] = [["source", "edge"], ["destination", "orders"]];
  const other: Pair[] = [["source", "edge"], ["destination", `d-${run}`]];
  const report: Pair = ["report", `r-${run}`];
  return [
    req([[tenant]]),
    req([[tenant]]),
    req([[tenant]]),
    req([[tenant, ["plan", "gold"]]]),
    req([[tenant, ["plan", `trial-${run}`]]]),
    req([[tenant, ["plan", `trial-${run}`]]]),
    req([[tenant, ["plan", "shady"]]]),
    req([[tenant, ["plan", "shady"]]]),
    req([[tenant, ["plan", "other"]]]),
    req([member]),
    req([member, [["category", "account"]]]),
    req([member]),
    req([member]),
    req([other], 2),
    req([other]),
    req([[report]], 2),
    req([[report], [tenant, ["plan", "gold"]]]),
    req([[report]]),
    req([[["banned", run]]]),
    req([[["unknown", run]], [tenant, ["plan", "gold"]]], 3),
    // A descriptor's own limit (Envoy's override) and its own hits_addend.
    ...[1, 2].map(() => ({
      domain: "diff",
      descriptors: [{
        entries: [{ key: "override", value: run }],
        limit: { requestsPerUnit: 1, unit: "MINUTE" },
      }],
    })),
    ...[1, 2].map(() => ({
      domain: "diff",
      descriptors: [
        { entries: [{ key: "tenant", value: `t2-${run}` }], hitsAddend: "2" },
        { entries: [{ key: "report", value: `r2-${run}` }] },
      ],
    })),
  ];
}

/** What must be equal: no reset values, which may cross a second between the two services. */
function comparable(result: ClientResult): unknown {
  if (result.response === undefined) return { error: result.code };
  return {
    overallCode: result.response.overallCode,
    statuses: result.response.statuses?.map((s) => ({
      code: s.code,
      limitRemaining: s.limitRemaining ?? 0,
      currentLimit: s.currentLimit,
      hasReset: s.durationUntilReset !== undefined,
    })),
    headers: result.response.responseHeadersToAdd?.map((h) =>
      h.key.endsWith("reset") ? h.key : `${h.key}=${h.value}`
    ),
  };
}

/** envoyproxy/ratelimit on `redis` with the differential config and x-ratelimit-* headers. */
async function startEnvoyRatelimitDiff(
  binary: string,
  redisUrl: string,
): Promise<{ address: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "apigw-envoy-rls-" });
  await Deno.mkdir(`${root}/ratelimit/config`, { recursive: true });
  await Deno.writeTextFile(`${root}/ratelimit/config/diff.yaml`, CONFIG);
  const redis = new URL(redisUrl);
  try {
    const envoy = await startEnvoyRatelimit(binary, {
      redis: { hostname: redis.hostname, port: Number(redis.port) },
      root,
      env: {
        LIMIT_RESPONSE_HEADERS_ENABLED: "true",
        LIMIT_LIMIT_HEADER: "x-ratelimit-limit",
        LIMIT_REMAINING_HEADER: "x-ratelimit-remaining",
        LIMIT_RESET_HEADER: "x-ratelimit-reset",
      },
      // Serving and configured: a descriptor no limit matches is answered OK.
      probe: (address) =>
        goClient(peers!.rlsclient, address, [{
          domain: "diff",
          descriptors: [{ entries: [{ key: "probe", value: "p" }] }],
        }]),
    });
    return {
      address: envoy.address,
      async [Symbol.asyncDispose]() {
        await envoy[Symbol.asyncDispose]();
        await Deno.remove(root, { recursive: true });
      },
    };
  } catch (error) {
    await Deno.remove(root, { recursive: true });
    throw error;
  }
}

Deno.test({
  name: "apigw and envoyproxy/ratelimit answer one descriptor sequence alike on one Redis",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "apigw-rls-diff-" });
    try {
      await Deno.writeTextFile(`${dir}/diff.yaml`, CONFIG);
      await using envoy = await startEnvoyRatelimitDiff(peers!.ratelimit, REDIS!);
      await using apigw = await startRls(dir, [
        "--redis-url",
        REDIS!,
        "--redis-timeout-ms",
        "1000",
        "--rls-response-headers",
      ]);
      const run = crypto.randomUUID().slice(0, 8);
      await awayFromMinuteEdge();
      const [theirs, ours] = await Promise.all([
        goClient(peers!.rlsclient, envoy.address, sequence(run)),
        goClient(peers!.rlsclient, apigw.address, sequence(run)),
      ]);
      assert.equal(ours.length, theirs.length);
      for (const [i, expected] of theirs.entries()) {
        assert.deepEqual(comparable(ours[i]!), comparable(expected), `request ${i + 1}`);
      }
      // Every call is answered (no errors) and the sequence reaches both codes, so equality is
      // not two services agreeing on a failure or on "OK".
      assert.deepEqual(theirs.filter((r) => r.response === undefined), []);
      assert.deepEqual(
        theirs.slice(-4).map((r) => r.response?.overallCode),
        ["OK", "OVER_LIMIT", "OK", "OVER_LIMIT"],
      );
      const codes = new Set(theirs.map((r) => r.response?.overallCode));
      assert.deepEqual([...codes].sort(), ["OK", "OVER_LIMIT"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
