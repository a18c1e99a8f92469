/**
 * Redis credentials and TLS of `apigw authz` (issue 20): the password never reaches stderr,
 * whether the URL is bad, the password wrong or right; `rediss://` with a CA file verifies the
 * server. Each test starts its own redis-server. Run through `deno task test`.
 */
import assert from "node:assert/strict";
import { globalRateLimit, ordersPod } from "../../proxy/ratelimit/_testing.ts";
import { freePort } from "../cluster/_ports.ts";
import { spawnLogged, stopProcess } from "../cluster/_process.ts";
import { poll } from "../poll.ts";
import { startRedis } from "../redis/redis.ts";
import { check, configFolder, metricSum, startAuthzProcess } from "./_authz_process.ts";

const SECRET = "tellNo1theRedisPassword";
const REPO = new URL("../../", import.meta.url);
const HOUR = (maxTokens: number) => ({ maxTokens, tokensPerFill: 1, fillInterval: "1h" });

/** Runs `apigw <args>` to its end; its exit code and stderr. */
async function apigw(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: REPO,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("a bad Redis URL stops apigw authz and serve with the password hidden", async () => {
  await using folder = await configFolder([ordersPod()]);
  const cases: [string[], RegExp][] = [
    [
      ["authz", "--config", folder.dir, "--redis-url", `redis+sentinel://:${SECRET}@a:1`],
      /redis\+sentinel:\/\/:\*\*\*@a:1" needs the master name/,
    ],
    [
      ["serve", "--config", folder.dir, "--redis-url", `redis://u:${SECRET}@a:1,b:2`],
      /redis:\/\/u:\*\*\*@a:1,b:2" names 2 hosts/,
    ],
    [
      [
        "authz",
        "--config",
        folder.dir,
        "--redis-url",
        `redis://u:${SECRET}@a`,
        "--redis-ca-file",
        "x",
      ],
      /A Redis CA file needs a rediss:\/\/ URL, not "redis:\/\/u:\*\*\*@a"/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr } = await apigw(args);
    assert.notEqual(code, 0, stderr);
    assert.match(stderr, pattern);
    assert.ok(!stderr.includes(SECRET), stderr);
  }
});

Deno.test("a wrong Redis password: the failure mode answers, stderr never holds a password", async () => {
  const redis = await startRedis({ args: ["--requirepass", SECRET] });
  try {
    await using folder = await configFolder([
      globalRateLimit({ defaultBucket: HOUR(2), failureMode: "closed" }),
      ordersPod(),
    ]);
    const wrong = `${SECRET}-wrong`;
    await using authz = await startAuthzProcess(folder.dir, [
      "--redis-url",
      `redis://default:${wrong}@127.0.0.1:${redis.port}`,
      "--log-level",
      "debug",
    ]);
    for (let i = 0; i < 5; i++) {
      assert.equal(await check(authz.checkUrl, "/", { "x-api-key": "k" }), 503);
    }
    const metrics = await authz.metrics();
    assert.ok(metricSum(metrics, "apigw_ratelimit_fallback_total", 'mode="closed"') >= 5);
    const stderr = authz.logs.map((l) => JSON.stringify(l)).join("\n");
    assert.ok(!stderr.includes(SECRET), stderr);
    assert.match(stderr, /Failed to reach Redis/);
    // The right password from the environment: enforced through Redis.
    await using right = await startAuthzProcess(folder.dir, [
      "--redis-url",
      `redis://127.0.0.1:${redis.port}`,
      "--log-level",
      "debug",
    ], { env: { APIGW_REDIS_PASSWORD: SECRET } });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(await check(right.checkUrl, "/", { "x-api-key": "k" }));
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.ok(!right.logs.map((l) => JSON.stringify(l)).join("\n").includes(SECRET));
  } finally {
    await redis.stop();
  }
});

Deno.test("rediss:// with --redis-ca-file enforces through TLS; without the CA the server is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "apigw-redis-tls-" });
  const port = freePort();
  const openssl = async (args: string[]) => {
    const out = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    })
      .output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  };
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=apigw test CA",
  ]);
  await openssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  ]);
  await Deno.writeTextFile(`${dir}/san.ext`, "subjectAltName=IP:127.0.0.1\n");
  await openssl([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "1",
    "-extfile",
    "san.ext",
  ]);
  await Deno.writeTextFile(`${dir}/password`, `${SECRET}\n`);
  const server = spawnLogged("redis-server-tls", "redis-server", {
    args: [
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--tls-cert-file",
      `${dir}/server.pem`,
      "--tls-key-file",
      `${dir}/server.key`,
      "--tls-ca-cert-file",
      `${dir}/ca.pem`,
      "--tls-auth-clients",
      "no",
      "--requirepass",
      SECRET,
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
    ],
    logPath: `${dir}/redis.log`,
  });
  try {
    await poll(async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => undefined);
      conn?.close();
      return conn !== undefined || undefined;
    }, { timeoutMs: 15_000, what: "redis-server TLS port" });
    await using folder = await configFolder([
      globalRateLimit({ defaultBucket: HOUR(2), failureMode: "closed" }),
      ordersPod(),
    ]);
    const url = `rediss://127.0.0.1:${port}`;
    const base = [
      "--redis-url",
      url,
      "--redis-password-file",
      `${dir}/password`,
      "--redis-timeout-ms",
      "1000",
    ];
    await using trusted = await startAuthzProcess(folder.dir, [
      ...base,
      "--redis-ca-file",
      `${dir}/ca.pem`,
    ]);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(await check(trusted.checkUrl, "/", { "x-api-key": "t" }));
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    // Without the CA, the server's certificate is not trusted: no Redis, the failure mode.
    await using untrusted = await startAuthzProcess(folder.dir, base);
    assert.equal(await check(untrusted.checkUrl, "/", { "x-api-key": "u" }), 503);
    for (const p of [trusted, untrusted]) {
      assert.ok(!p.logs.map((l) => JSON.stringify(l)).join("\n").includes(SECRET));
    }
  } finally {
    await stopProcess(server, 5_000);
    await Deno.remove(dir, { recursive: true });
  }
});
