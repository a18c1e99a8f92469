/**
 * Config size caps of `apigw serve` (issue 14 #7): an over-cap file, and a folder over its cap,
 * dropped into `--config` under load from concurrent clients, are refused by size without being
 * parsed (logged and counted on /metrics), the last good config keeps serving, and requests are
 * not stalled: the folder is read and parsed in a worker, off the serving thread.
 */
import assert from "node:assert/strict";
import { poll } from "../poll.ts";
import { apiRule, startGateway, startUpstream, upstreamService } from "./_gateway.ts";

const MIB = 1024 * 1024;
/** The acceptance number for request latency while a reload is refused. */
const P99_MS = 50;

function version(port: number, v: number, padding = 0): string {
  // JSON allows whitespace anywhere between tokens: the padding keeps the object valid.
  return apiRule("api", { host: "api.test", port }, [
    { path: "/*", methods: ["GET"], noAuth: true, request: { headers: { "x-version": `${v}` } } },
  ]) + " ".repeat(padding);
}

/** Writes next to the folder, then renames in: the watcher never sees half a file. */
async function drop(dir: string, name: string, text: string): Promise<void> {
  const temp = await Deno.makeTempFile({ dir: `${dir}/..`, prefix: "apigw-drop-" });
  await Deno.writeTextFile(temp, text);
  await Deno.rename(temp, `${dir}/${name}`);
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0;
}

Deno.test("apigw serve refuses over-cap config by size under load; the last good one serves", async () => {
  await using upstream = await startUpstream();
  await using gateway = await startGateway({
    "service.json": upstreamService(upstream.port),
    "api.json": version(upstream.port, 0),
  }, {
    args: ["--config-max-file-bytes", "1Mi", "--config-max-folder-bytes", "2Mi"],
  });
  const metrics = () =>
    fetch(`http://127.0.0.1:${gateway.managementPort}/metrics`).then((r) => r.text());
  const refusals = async (reason: string) =>
    Number(
      new RegExp(`^apigw_config_refused_total\\{reason="${reason}"\\} (\\d+)$`, "m")
        .exec(await metrics())?.[1],
    );
  let phase = "baseline" as "baseline" | "drops" | "done";
  const latencies = { baseline: [] as number[], drops: [] as number[] };
  const failures: string[] = [];
  const versions = new Set<string>();
  async function load(): Promise<void> {
    while (phase !== "done") {
      const current = phase;
      const started = performance.now();
      const response = await gateway.fetch("http://api.test/x").catch((e) => e as Error);
      if (response instanceof Error) failures.push(response.message);
      else if (response.status !== 200) failures.push(`status ${response.status}`);
      else versions.add((await response.json()).headers["x-version"]);
      latencies[current].push(performance.now() - started);
    }
  }
  const loaders = Array.from({ length: 8 }, load);
  await poll(() => latencies.baseline.length >= 400 || undefined, {
    timeoutMs: 60_000,
    what: "baseline requests",
  });
  // The first requests warm up the JIT and the connection pools: not part of the baseline.
  latencies.baseline.splice(0, 200);
  phase = "drops";

  // One file over the per-file cap: it would serve version 1 if it were read.
  await drop(gateway.dir, "api.json", version(upstream.port, 1, 2 * MIB));
  await poll(async () => await refusals("file_size") >= 1 || undefined, {
    timeoutMs: 20_000,
    what: "the over-cap file to be refused",
  });
  const fileLog = gateway.logs.map((l) => JSON.parse(l)).find((e) =>
    e.msg === "Refused config by size; keeping the last good one"
  );
  assert.equal(fileLog?.reason, "file_size");
  assert.equal(fileLog?.file, `${gateway.dir}/api.json`);
  assert.equal(fileLog?.cap, MIB);
  assert.ok(fileLog.bytes > 2 * MIB, `refused at ${fileLog.bytes} bytes`);
  await drop(gateway.dir, "api.json", version(upstream.port, 0));

  // Files each under the file cap that add up to more than the folder cap, then a change.
  const comment = `# ${"p".repeat(900 * 1024)}\n`;
  for (const name of ["pad-1.yaml", "pad-2.yaml", "pad-3.yaml"]) {
    await drop(gateway.dir, name, comment);
  }
  await poll(async () => await refusals("folder_size") >= 1 || undefined, {
    timeoutMs: 20_000,
    what: "the over-cap folder to be refused",
  });
  const before = await refusals("folder_size");
  await drop(gateway.dir, "api.json", version(upstream.port, 2));
  await poll(async () => await refusals("folder_size") > before || undefined, {
    timeoutMs: 20_000,
    what: "the change in the over-cap folder to be refused",
  });
  // Enough requests after the last refusal to see a stall if there was one.
  const seen = latencies.drops.length;
  await poll(() => latencies.drops.length >= seen + 200 || undefined, {
    timeoutMs: 60_000,
    what: "requests after the refusals",
  });
  assert.deepEqual([...versions], ["0"], "the last good config kept serving");

  // Back under the caps: the pending change is served.
  for (const name of ["pad-1.yaml", "pad-2.yaml", "pad-3.yaml"]) {
    await Deno.remove(`${gateway.dir}/${name}`);
  }
  await poll(() => versions.has("2") || undefined, {
    timeoutMs: 20_000,
    what: "version 2 to serve once the folder is under its cap",
  });
  phase = "done";
  await Promise.all(loaders);
  assert.deepEqual(failures, []);

  const baseline = p99(latencies.baseline);
  const drops = p99(latencies.drops);
  console.log(
    `p99 ${drops.toFixed(1)} ms over ${latencies.drops.length} requests during the refused ` +
      `reloads; ${baseline.toFixed(1)} ms over ${latencies.baseline.length} before (8 clients)`,
  );
  // The acceptance number is 50 ms. On a machine shared with other work the baseline p99 alone
  // can exceed it, so the bound also allows three times the baseline of this run: a reload
  // stalling the serving thread (the bug: seconds) still fails.
  assert.ok(
    drops <= Math.max(P99_MS, 3 * baseline),
    `p99 ${drops} ms during refused reloads, baseline ${baseline} ms`,
  );
});

Deno.test("apigw serve compiles a large reload off the serving thread", async () => {
  await using upstream = await startUpstream();
  await using gateway = await startGateway({
    "service.json": upstreamService(upstream.port),
    "api.json": version(upstream.port, 0),
  });
  const routes = async () =>
    Number(
      /^apigw_gateway_routes (\d+)$/m.exec(
        await fetch(`http://127.0.0.1:${gateway.managementPort}/metrics`).then((r) => r.text()),
      )?.[1],
    );
  let phase = "baseline" as "baseline" | "reload" | "done";
  const latencies = { baseline: [] as number[], reload: [] as number[] };
  const failures: string[] = [];
  async function load(): Promise<void> {
    while (phase !== "done") {
      const current = phase;
      const started = performance.now();
      const response = await gateway.fetch("http://api.test/x").catch((e) => e as Error);
      if (response instanceof Error) failures.push(response.message);
      else {
        await response.body?.cancel();
        if (response.status !== 200) failures.push(`status ${response.status}`);
      }
      latencies[current].push(performance.now() - started);
    }
  }
  const loaders = Array.from({ length: 8 }, load);
  await poll(() => latencies.baseline.length >= 400 || undefined, {
    timeoutMs: 60_000,
    what: "baseline requests",
  });
  // The first requests warm up the JIT and the connection pools: not part of the baseline.
  latencies.baseline.splice(0, 200);
  phase = "reload";
  // 1 000 more APIRules (about 0.3 MiB): seconds of validation and compiling on one thread.
  const bulk = Array.from(
    { length: 1000 },
    (_, i) =>
      JSON.parse(apiRule(`bulk-${i}`, { host: `bulk-${i}.test`, port: upstream.port }, [
        { path: "/*", methods: ["GET"], noAuth: true },
      ])),
  );
  await drop(gateway.dir, "bulk.json", JSON.stringify(bulk));
  await poll(async () => await routes() === 1001 || undefined, {
    timeoutMs: 120_000,
    intervalMs: 200,
    what: "the 1 001 routes to serve",
  });
  phase = "done";
  await Promise.all(loaders);
  assert.deepEqual(failures, []);
  const baseline = p99(latencies.baseline);
  const reload = p99(latencies.reload);
  const longest = Math.max(...latencies.reload);
  console.log(
    `p99 ${reload.toFixed(1)} ms (max ${longest.toFixed(0)} ms) over ${latencies.reload.length} ` +
      `requests while 1 000 APIRules compiled; ${baseline.toFixed(1)} ms ` +
      `(max ${Math.max(...latencies.baseline).toFixed(0)} ms) over ${latencies.baseline.length} ` +
      "before (8 clients)",
  );
  assert.ok(latencies.reload.length >= 50, `${latencies.reload.length} requests during reload`);
  // Compiled on the serving thread, every client waits out the whole compile at once (10 s on
  // the busy 2-core machine): p99 over thousands of requests hides that, the longest one shows
  // it. Generous: five times the longest baseline request, at least 2 s. (p99 is reported, not
  // asserted: the worker's compile competes with serving for the CPU on a 2-core machine.)
  const baselineLongest = Math.max(...latencies.baseline);
  assert.ok(
    longest <= Math.max(2_000, 5 * baselineLongest),
    `a request took ${longest} ms while compiling (longest before: ${baselineLongest} ms)`,
  );
});
