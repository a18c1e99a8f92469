/**
 * The rate limit service (`apigw authz --rls-listen`) counting in a real Redis Cluster
 * (issue 20): one call's descriptors land in many slots, the counters stay exact, and the
 * metrics name the cluster client. The Cluster is this file's own (tests/redis/cluster.ts); the
 * Go client is built by tests/run.ts's build phase, without it the test skips saying so.
 */
import assert from "node:assert/strict";
import { startRedisCluster } from "../redis/cluster.ts";
import { metricSum } from "../ratelimit_global/_authz_process.ts";
import { cachedGrpcPeers } from "./build.ts";
import { awayFromMinuteEdge, goClient, startRls } from "./_peers.ts";

const peers = await cachedGrpcPeers();
const ignore = peers === undefined;
if (ignore) {
  console.log(
    "Skipped tests/grpc/rls_cluster_test.ts: the gRPC peers are not built (deno task grpc:build)",
  );
}

Deno.test({
  name: "ShouldRateLimit counts exactly in a Redis Cluster, descriptors over many slots",
  ignore,
  async fn() {
    const cluster = await startRedisCluster();
    const dir = await Deno.makeTempDir({ prefix: "apigw-rls-config-" });
    try {
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        "domain: rls-cluster\ndescriptors:\n  - key: user\n    rate_limit: { unit: hour, requests_per_unit: 3 }\n",
      );
      await using rls = await startRls(dir, [
        "--redis-url",
        cluster.url,
        "--redis-timeout-ms",
        "1000",
      ]);
      await awayFromMinuteEdge();
      const users = Array.from({ length: 12 }, () => crypto.randomUUID());
      const request = {
        domain: "rls-cluster",
        descriptors: users.map((user) => ({ entries: [{ key: "user", value: user }] })),
      };
      const results = await goClient(peers!.rlsclient, rls.address, Array(4).fill(request));
      const summary = results.map((r) =>
        `${r.response?.overallCode}:${[
          ...new Set(r.response?.statuses?.map((s) => `${s.code}/${s.limitRemaining ?? 0}`)),
        ]}`
      );
      assert.deepEqual(summary, ["OK:OK/2", "OK:OK/1", "OK:OK/0", "OVER_LIMIT:OVER_LIMIT/0"]);
      // The counters are spread over the masters.
      let keys = 0;
      for (const port of await cluster.masters()) {
        const size = Number((await cluster.cli(port, ["DBSIZE"])).trim());
        assert.ok(size > 0, `master ${port} holds counters`);
        keys += size;
      }
      assert.equal(keys, 12);
      const metrics = await rls.metrics();
      assert.match(metrics, /^apigw_rls_redis_pending\{topology="cluster"\} 0$/m);
      assert.ok(metricSum(metrics, "apigw_rls_redis_slot_refreshes_total", "") > 0, metrics);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await cluster.stop();
    }
  },
});
