/**
 * Global rate limits through Redis Sentinel (issue 20): 1 master, 1 replica and 3 sentinels
 * started by this file (tests/redis/sentinel.ts), two `apigw authz` processes sharing the
 * limits, the master killed mid-load. Run through the harness:
 * `deno task test tests/ratelimit_global/sentinel_test.ts`.
 */
import assert from "node:assert/strict";
import { globalRateLimit, ordersPod } from "../../proxy/ratelimit/_testing.ts";
import { startRedisSentinel } from "../redis/sentinel.ts";
import { configFolder, metricSum, startAuthzProcess } from "./_authz_process.ts";
import { countsBy, failoverScenario, HOUR, send } from "./_failover.ts";

const PASSWORD = "sentinelPw0815secret";

function noPassword(text: string): void {
  assert.ok(!text.includes(PASSWORD), "the password appeared in stderr");
}

Deno.test("two apigw authz through Redis Sentinel allow exactly N per key", async () => {
  const group = await startRedisSentinel({ password: PASSWORD });
  try {
    await using folder = await configFolder([
      globalRateLimit({ defaultBucket: HOUR(5) }),
      ordersPod(),
    ]);
    const args = ["--redis-timeout-ms", "1000", "--redis-url", group.url];
    const env = { env: { APIGW_REDIS_PASSWORD: PASSWORD } };
    await using a = await startAuthzProcess(folder.dir, args, env);
    await using b = await startAuthzProcess(folder.dir, args, env);
    const keys = Array.from({ length: 20 }, () => crypto.randomUUID());
    const answers = await send(
      [a, b],
      keys.flatMap((key) => Array(8).fill({ path: "/", key })),
      16,
    );
    const metrics = await Promise.all([a.metrics(), b.metrics()]);
    for (const m of metrics) {
      assert.equal(metricSum(m, "apigw_ratelimit_redis_errors_total", ""), 0, m);
    }
    const allowed = countsBy(answers, 200);
    for (const key of keys) assert.equal(allowed.get(`/ ${key}`), 5, key);
    // The keys are on the master the sentinels name.
    const size = Number((await group.cli(await group.master(), ["DBSIZE"])).trim());
    assert.equal(size, 20);
    for (const p of [a, b]) noPassword(p.logs.map((l) => JSON.stringify(l)).join("\n"));
  } finally {
    await group.stop();
  }
});

Deno.test("the Sentinel master killed mid-load: failure modes in the window, enforcement resumes on the promoted replica", async () => {
  const group = await startRedisSentinel({ password: PASSWORD });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/password`, PASSWORD);
    const report = await failoverScenario({
      args: ["--redis-url", group.url, "--redis-password-file", `${dir}/password`],
      async killMaster() {
        const port = await group.master();
        await group.kill(port);
        return `master ${port}`;
      },
      checkLogs: noPassword,
      describe: async () => `Sentinels name master ${await group.master().catch(String)}`,
    });
    console.log(`Redis Sentinel failover: ${JSON.stringify(report)}`);
    assert.ok(Number(report.failovers) >= 1, "the failover was seen");
    assert.notEqual(await group.master(), group.dataPorts[0], "the replica was promoted");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await group.stop();
  }
});
