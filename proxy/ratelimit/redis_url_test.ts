import assert from "node:assert/strict";
import { hideSecret, parseRedisUrl, redactRedisUrl, resolveRedisTarget } from "./redis_url.ts";

const SECRET = "s3cr3t/p@ss";
const ENCODED = encodeURIComponent(SECRET);

Deno.test("parseRedisUrl() reads the standalone, Sentinel and Cluster forms", () => {
  const standalone = parseRedisUrl(`rediss://app:${ENCODED}@redis.shop:6380/2`);
  assert.ok(standalone.ok);
  assert.deepEqual(standalone.value, {
    topology: "standalone",
    tls: true,
    nodes: [{ host: "redis.shop", port: 6380 }],
    db: 2,
    username: "app",
    password: SECRET,
    redacted: "rediss://app:***@redis.shop:6380/2",
  });
  const sentinel = parseRedisUrl(`redis+sentinel://:${ENCODED}@s1,s2:26380,[::1]:26381/mymaster`);
  assert.ok(sentinel.ok);
  assert.equal(sentinel.value.topology, "sentinel");
  assert.equal(sentinel.value.masterName, "mymaster");
  assert.deepEqual(sentinel.value.nodes, [
    { host: "s1", port: 26379 },
    { host: "s2", port: 26380 },
    { host: "::1", port: 26381 },
  ]);
  assert.equal(sentinel.value.password, SECRET);
  assert.equal(sentinel.value.username, undefined);
  const cluster = parseRedisUrl("rediss+cluster://10.0.0.1:7000,10.0.0.2:7001");
  assert.ok(cluster.ok);
  assert.equal(cluster.value.topology, "cluster");
  assert.equal(cluster.value.tls, true);
  assert.equal(cluster.value.nodes.length, 2);
  assert.equal(cluster.value.redacted, "rediss+cluster://10.0.0.1:7000,10.0.0.2:7001");
});

Deno.test("parseRedisUrl() names the problem and never echoes the password", () => {
  const cases: [string, RegExp][] = [
    [`http://u:${ENCODED}@h`, /is not a redis:\/\/, rediss:\/\//],
    [`redis://u:${ENCODED}@a:1,b:2`, /names 2 hosts: use redis\+sentinel/],
    [`redis+sentinel://u:${ENCODED}@a:1`, /needs the master name/],
    [`redis+cluster://u:${ENCODED}@a:1/3`, /has no database "3"/],
    [`redis://u:${ENCODED}@h/x`, /"x" is not a database number/],
    [`redis://u:${ENCODED}@h:99999`, /"h:99999" is not HOST or HOST:PORT/],
    ["redis://u:%zz@h", /not percent-encoded/],
  ];
  for (const [url, pattern] of cases) {
    const parsed = parseRedisUrl(url);
    assert.ok(!parsed.ok, url);
    assert.match(parsed.error, pattern);
    assert.ok(!parsed.error.includes(ENCODED) && !parsed.error.includes(SECRET), parsed.error);
  }
});

Deno.test("redactRedisUrl() hides the password, keeps the user and hosts", () => {
  assert.equal(redactRedisUrl("redis://u:pw@h:1/0"), "redis://u:***@h:1/0");
  assert.equal(redactRedisUrl("redis://pw@h"), "redis://***@h");
  assert.equal(redactRedisUrl("redis://h:1"), "redis://h:1");
  assert.equal(redactRedisUrl("redis://u:p@w@h"), "redis://u:***@h");
  assert.equal(redactRedisUrl("nonsense p@ss"), "***");
});

Deno.test("resolveRedisTarget() takes the password from the file, else the environment", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/pw`, "from-file\n");
    await Deno.writeTextFile(`${dir}/ca.pem`, "-----BEGIN CERTIFICATE-----\nAA==\n");
    const env = (name: string) =>
      ({ APIGW_REDIS_PASSWORD: "from-env", APIGW_REDIS_USERNAME: "envuser" })[name];
    const fromEnv = await resolveRedisTarget("redis://u:url@h", {}, env);
    assert.ok(fromEnv.ok);
    assert.equal(fromEnv.value.password, "from-env");
    assert.equal(fromEnv.value.username, "envuser");
    const fromFile = await resolveRedisTarget(
      "rediss://u:url@h",
      { passwordFile: `${dir}/pw`, caFile: `${dir}/ca.pem` },
      env,
    );
    assert.ok(fromFile.ok);
    assert.equal(fromFile.value.password, "from-file");
    assert.match(fromFile.value.ca ?? "", /BEGIN CERTIFICATE/);
    assert.equal(hideSecret("auth from-file failed", fromFile.value), "auth *** failed");
    const noTls = await resolveRedisTarget("redis://h", { caFile: `${dir}/ca.pem` }, env);
    assert.deepEqual(noTls, {
      ok: false,
      error: `A Redis CA file needs a rediss:// URL, not "redis://h"`,
    });
    const missing = await resolveRedisTarget("redis://h", { passwordFile: `${dir}/nope` }, env);
    assert.ok(!missing.ok);
    assert.match(missing.error, /^Cannot read the Redis password file ".*\/nope": /);
    const notPem = await resolveRedisTarget("rediss://h", { caFile: `${dir}/pw` }, env);
    assert.ok(!notPem.ok);
    assert.match(notPem.error, /holds no PEM certificate/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
