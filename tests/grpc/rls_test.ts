/**
 * `apigw authz --rls-listen` against real gRPC peers: the Go client built with go-control-plane's
 * generated types (tool/rlsclient) and grpcurl with the committed protoset. Peers are built by
 * tests/run.ts's build phase (tests/grpc/build.ts); without them the tests skip saying so.
 * Counters live in the harness Redis when there is one (APIGW_TEST_REDIS_URL), else in memory.
 */
import assert from "node:assert/strict";
import { freePort } from "../cluster/_ports.ts";
import { poll } from "../poll.ts";
import { cachedGrpcPeers } from "./build.ts";
import { awayFromMinuteEdge, goClient, PROTOSET, runPeer, startRls } from "./_peers.ts";

const peers = await cachedGrpcPeers();
const REDIS = Deno.env.get("APIGW_TEST_REDIS_URL");
const redisArgs = REDIS === undefined ? [] : ["--redis-url", REDIS, "--redis-timeout-ms", "1000"];
const ignore = peers === undefined;
if (ignore) {
  console.log(
    "Skipped tests/grpc/rls_test.ts: the gRPC peers are not built (deno task grpc:build)",
  );
}

const CONFIG = `
domain: rls-test
descriptors:
  - key: user
    rate_limit: { unit: minute, requests_per_unit: 3 }
  - key: path
    value: /api/*
    rate_limit: { unit: hour, requests_per_unit: 2 }
  - key: free
    rate_limit: { unlimited: true }
`;

async function configDir(text = CONFIG): Promise<AsyncDisposable & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-rls-config-" });
  await Deno.writeTextFile(`${dir}/config.yaml`, text);
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

const unique = () => crypto.randomUUID();
const call = (descriptors: [string, string][][], extra: Record<string, unknown> = {}) => ({
  domain: "rls-test",
  descriptors: descriptors.map((entries) => ({
    entries: entries.map(([key, value]) => ({ key, value })),
  })),
  ...extra,
});

Deno.test({
  name: "ShouldRateLimit answers the Go client (go-control-plane types) per descriptor",
  ignore,
  async fn() {
    await using config = await configDir();
    await using rls = await startRls(config.dir, [...redisArgs, "--rls-response-headers"]);
    await awayFromMinuteEdge();
    const user = unique();
    const results = await goClient(peers!.rlsclient, rls.address, [
      call([[["user", user]]]),
      call([[["user", user]], [["path", `/api/${user}`]]]),
      call([[["user", user]]], { hitsAddend: 2 }),
      call([[["free", "x"]], [["unknown", "x"]]]),
    ]);
    const summary = results.map((r) =>
      `${r.response?.overallCode}:${
        r.response?.statuses?.map((s) => `${s.code}/${s.limitRemaining ?? 0}`)
      }`
    );
    assert.deepEqual(summary, [
      "OK:OK/2",
      "OK:OK/1,OK/1",
      "OVER_LIMIT:OVER_LIMIT/0",
      "OK:OK/4294967295,OK/0",
    ]);
    const first = results[0]!.response!.statuses![0]!;
    assert.deepEqual(first.currentLimit, { requestsPerUnit: 3, unit: "MINUTE" });
    const reset = Number(first.durationUntilReset?.replace(/s$/, ""));
    assert.ok(reset >= 1 && reset <= 60, `duration_until_reset ${first.durationUntilReset}`);
    assert.deepEqual(
      results[2]!.response!.responseHeadersToAdd?.map((h) =>
        `${h.key}=${h.key.endsWith("reset") ? "*" : h.value}`
      ),
      ["x-ratelimit-limit=3", "x-ratelimit-remaining=0", "x-ratelimit-reset=*"],
    );
    const metrics = await rls.metrics();
    for (
      const line of [
        'apigw_rls_hits_total{key="rls-test.user",result="within_limit"} 2',
        'apigw_rls_hits_total{key="rls-test.user",result="over_limit"} 2',
        'apigw_rls_hits_total{key="rls-test.path_/api/*",result="within_limit"} 1',
      ]
    ) assert.ok(metrics.includes(`${line}\n`), `${line} in\n${metrics}`);
  },
});

Deno.test({
  name: "grpcurl with the committed protoset: health check and a smoke call",
  ignore,
  async fn() {
    await using config = await configDir();
    await using rls = await startRls(config.dir, redisArgs);
    const base = ["-plaintext", "-protoset", PROTOSET];
    const health = await runPeer(peers!.grpcurl, [
      ...base,
      rls.address,
      "grpc.health.v1.Health/Check",
    ]);
    assert.ok(health.success, health.stderr);
    assert.deepEqual(JSON.parse(health.stdout), { status: "SERVING" });
    const smoke = await runPeer(peers!.grpcurl, [
      ...base,
      "-d",
      JSON.stringify(call([[["user", unique()]]])),
      rls.address,
      "envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit",
    ]);
    assert.ok(smoke.success, smoke.stderr);
    const response = JSON.parse(smoke.stdout);
    assert.equal(response.overallCode, "OK");
    assert.equal(response.statuses[0].limitRemaining, 2);
  },
});

Deno.test({
  name: "bad input gets a gRPC error status and the process keeps serving",
  ignore,
  async fn() {
    await using config = await configDir();
    await using rls = await startRls(config.dir, redisArgs);
    // Field 1 with wire type 7, which protobuf does not have.
    const garbage = btoa(String.fromCharCode(0x0f, 0x01, 0x02, 0x03));
    const results = await goClient(peers!.rlsclient, rls.address, [
      { raw: garbage },
      call([[["user", "x".repeat(2 * 1024 * 1024)]]]),
      call([[["user", "u"]]], { domain: "" }),
      { domain: "rls-test" },
      call([[["user", unique()]]]),
    ]);
    assert.deepEqual(results.map((r) => r.code ?? r.response?.overallCode), [
      "Internal",
      "ResourceExhausted",
      "InvalidArgument",
      "InvalidArgument",
      "OK",
    ]);
    assert.match(results[0]!.message ?? "", /^Error deserializing request/);
    assert.equal(results[2]!.message, "rate limit domain must not be empty");
    assert.ok(rls.running());
  },
});

Deno.test({
  name: "a changed config file is served without a restart; a broken one keeps the last good",
  ignore,
  async fn() {
    await using config = await configDir();
    await using rls = await startRls(config.dir, redisArgs);
    await Deno.writeTextFile(
      `${config.dir}/config.yaml`,
      CONFIG.replace("requests_per_unit: 3", "requests_per_unit: 7"),
    );
    await poll(async () => {
      const [result] = await goClient(peers!.rlsclient, rls.address, [
        call([[["user", unique()]]]),
      ]);
      return result?.response?.statuses?.[0]?.limitRemaining === 6 ? true : undefined;
    }, { timeoutMs: 20_000, what: "the reloaded limit" });
    await Deno.writeTextFile(
      `${config.dir}/config.yaml`,
      "domain: rls-test\ndescriptors: [{ value: v }]",
    );
    await poll(() => rls.logs.find((l) => String(l.msg).startsWith("Failed to reload")), {
      timeoutMs: 20_000,
      what: "the failed reload",
    });
    const [kept] = await goClient(peers!.rlsclient, rls.address, [call([[["user", unique()]]])]);
    assert.equal(kept?.response?.statuses?.[0]?.limitRemaining, 6);
  },
});

Deno.test({
  name: "with Redis down the failure mode answers: UNAVAILABLE by default, or allow/deny",
  ignore,
  async fn(t) {
    await using config = await configDir();
    // Nothing listens there: every Redis command fails at once.
    const down = ["--redis-url", `redis://127.0.0.1:${freePort()}`, "--redis-timeout-ms", "200"];
    for (
      const [mode, expected] of [
        [[], "Unavailable"],
        [["--rls-failure-mode", "allow"], "OK"],
        [["--rls-failure-mode", "deny"], "OVER_LIMIT"],
      ] as const
    ) {
      await t.step(expected, async () => {
        await using rls = await startRls(config.dir, [...down, ...mode]);
        const [result] = await goClient(peers!.rlsclient, rls.address, [call([[["user", "u"]]])]);
        assert.equal(result?.code ?? result?.response?.overallCode, expected);
        assert.ok(rls.running());
      });
    }
  },
});

Deno.test("a bad rate limit config stops apigw authz at startup, naming every problem", async () => {
  await using config = await configDir(
    "domain: rls-test\ndescriptors:\n  - key: a\n    rate_limit: { unit: fortnight }\n  - value: v\n",
  );
  const rules = await Deno.makeTempDir({ prefix: "apigw-rls-rules-" });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "main.ts",
        "authz",
        "--config",
        rules,
        "--listen",
        "127.0.0.1:0",
        "--management-listen",
        "127.0.0.1:0",
        "--rls-listen",
        "127.0.0.1:0",
        "--rls-config",
        config.dir,
      ],
      cwd: new URL("../../", import.meta.url),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 1, stderr);
    assert.match(stderr, /rls-test\.a: invalid rate limit unit \\"fortnight\\"/);
    assert.match(stderr, /descriptor has empty key/);
  } finally {
    await Deno.remove(rules, { recursive: true });
  }
});
