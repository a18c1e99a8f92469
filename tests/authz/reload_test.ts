/**
 * Reloads of `apigw authz --config` under the reload rule it shares with `apigw serve`
 * (`proxy/snapshot_store.ts`): a reload that brings a new invalid object is rejected, reported
 * object by object, and the last good config keeps serving; a large reload is compiled in the
 * config worker, so concurrent checks are not stalled while it compiles (the bound scales with
 * what the same compile costs on the test's thread, so a busy machine does not fail it).
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { apiRule, GATEWAY } from "../../core/authz/_testing.ts";
import { compileAuthzConfig } from "../../proxy/authz_config.ts";
import { poll } from "../poll.ts";
import { http1 } from "./http1.ts";
import { startAuthz } from "./run_authz.ts";

function check(host: string, base: string, path: string) {
  return http1(base, path, { headers: { host } });
}

function yaml(objects: unknown[]): string {
  return objects.map((o) => stringify(o)).join("---\n");
}

Deno.test("apigw authz rejects a reload with a new invalid object and keeps the last good config", async () => {
  const dir = await Deno.makeTempDir({ prefix: "apigw-authz-reload-" });
  const orders = (paths: string[]) =>
    apiRule("orders", paths.map((path) => ({ path, noAuth: true })));
  try {
    await Deno.writeTextFile(`${dir}/rules.yaml`, yaml([GATEWAY, orders(["/public"])]));
    await using authz = await startAuthz(["--config", dir]);
    const status = async (path: string) =>
      (await check("orders.local.kyma.dev", authz.checkUrl, path)).status;
    await poll(async () => (await status("/public")) === 200 || undefined, {
      what: "the first rules to be served",
    });
    const broken = apiRule("broken", [{ path: "no-slash", noAuth: true }]);
    await Deno.writeTextFile(
      `${dir}/rules.yaml`,
      yaml([GATEWAY, orders(["/public", "/new"]), broken]),
    );
    const rejected = await poll(
      () => authz.logs.find((l) => l.msg === "Rejected config; keeping the last good one"),
      { timeoutMs: 20_000, what: "the reload to be rejected" },
    );
    assert.equal(rejected.problems, 1);
    const invalid = authz.logs.find((l) => l.msg === "Invalid object");
    assert.equal(invalid?.object, "APIRule default/broken");
    assert.equal(
      await status("/new"),
      404,
      "the rejected snapshot is not served, not even in part",
    );
    assert.equal(await status("/public"), 200);

    await Deno.writeTextFile(`${dir}/rules.yaml`, yaml([GATEWAY, orders(["/public", "/new"])]));
    await poll(async () => (await status("/new")) === 200 || undefined, {
      timeoutMs: 20_000,
      what: "the fixed reload to be served",
    });
    const metrics = await fetch(`${authz.managementUrl}/metrics`).then((r) => r.text());
    assert.match(metrics, /^apigw_authz_index_reloads_total\{result="error"\} 1$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** APIRules in the large reload: seconds of compiling on a busy machine, ~1 s on an idle one. */
const LARGE = 1_000;
/** Below this a check's wait is noise (GC, a starved machine), not a compile. */
const FLOOR_MS = 500;

function largeRules(file: number): unknown[] {
  const rules = [];
  for (let i = file; i < LARGE; i += 4) {
    rules.push(apiRule(`r${i}`, [{ path: `/p${i}/{**}`, noAuth: true }, {
      path: `/q${i}`,
      noAuth: true,
    }]));
  }
  return rules;
}

Deno.test("apigw authz compiles a large reload off the serving thread: checks go on", async () => {
  // What compiling the reload on the serving thread costs on this machine right now: a check
  // would wait about that long. The test asserts no check waits half of it.
  const objects = [GATEWAY, ...[0, 1, 2, 3].flatMap(largeRules)];
  const compileStarted = performance.now();
  assert.equal(compileAuthzConfig(objects, { providerName: "apigw-authz" }).problems.length, 0);
  const compileMs = performance.now() - compileStarted;
  const dir = await Deno.makeTempDir({ prefix: "apigw-authz-reload-" });
  try {
    const health = apiRule("health", [{ path: "/health", noAuth: true }]);
    await Deno.writeTextFile(`${dir}/a.yaml`, yaml([GATEWAY, health]));
    await using authz = await startAuthz(["--config", dir]);
    const healthy = async () =>
      (await check("health.local.kyma.dev", authz.checkUrl, "/health")).status;
    await poll(async () => (await healthy()) === 200 || undefined, { what: "the first rules" });

    let running = true;
    const latencies: number[] = [];
    const failures: string[] = [];
    const checks = (async () => {
      while (running) {
        const started = performance.now();
        const status = await healthy().catch((e) => String(e));
        latencies.push(performance.now() - started);
        if (status !== 200) failures.push(String(status));
      }
    })();
    // Four files under the default 1 MiB per-file cap, in a folder renamed in whole, then one
    // small file written: one reload reads them all.
    const staged = await Deno.makeTempDir({ dir: `${dir}/..`, prefix: "apigw-authz-large-" });
    for (let file = 0; file < 4; file++) {
      await Deno.writeTextFile(`${staged}/large-${file}.yaml`, yaml(largeRules(file)));
    }
    await Deno.rename(staged, `${dir}/large`);
    await Deno.writeTextFile(`${dir}/trigger.yaml`, "");
    const last = `r${LARGE - 1}.local.kyma.dev`;
    await poll(
      async () =>
        (await check(last, authz.checkUrl, `/p${LARGE - 1}/x`)).status === 200 || undefined,
      { timeoutMs: 120_000, intervalMs: 250, what: `the ${LARGE} APIRules to be served` },
    );
    running = false;
    await checks;
    const sorted = latencies.sort((a, b) => a - b);
    const max = sorted.at(-1) ?? 0;
    assert.deepEqual(failures, []);
    assert.ok(sorted.length > 10, `only ${sorted.length} checks during the reload`);
    assert.ok(
      max < Math.max(FLOOR_MS, compileMs / 2),
      `a check took ${Math.round(max)} ms during the reload, compiling it here takes ${
        Math.round(compileMs)
      } ms (${sorted.length} checks, median ${Math.round(sorted[sorted.length >> 1]!)} ms)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("apigw authz logs Serving ext_authz once the folder's first snapshot decides", async () => {
  // Large enough that the config worker's compile outlasts starting the listeners.
  const dir = await Deno.makeTempDir({ prefix: "apigw-authz-first-" });
  try {
    await Deno.writeTextFile(`${dir}/large.yaml`, yaml([GATEWAY, ...largeRules(0)]));
    await using authz = await startAuthz(["--config", dir]);
    // The very first check after the log: no poll, no retry.
    const first = await check("r0.local.kyma.dev", authz.checkUrl, "/p0/x");
    assert.equal(first.status, 200);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
