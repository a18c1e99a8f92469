/**
 * What the Redis Cluster and Sentinel acceptance tests share (issue 20): two `apigw authz`
 * processes sharing the limits, the exactness check while every node is up, and the failover
 * scenario (a master killed mid-load) with its measurements.
 */
import assert from "node:assert/strict";
import { globalRateLimit, ordersPod } from "../../proxy/ratelimit/_testing.ts";
import { poll } from "../poll.ts";
import {
  type AuthzProcess,
  check,
  configFolder,
  metricSum,
  startAuthzProcess,
} from "./_authz_process.ts";

export const HOUR = (maxTokens: number) => ({ maxTokens, tokensPerFill: 1, fillInterval: "1h" });
export const MODES = ["closed", "open", "local"] as const;

export interface Answer {
  path: string;
  key: string;
  status: number;
  at: number;
}

/** Sends `requests` (path, key) `concurrency` at a time, alternating the processes. */
export async function send(
  processes: AuthzProcess[],
  requests: { path: string; key: string }[],
  concurrency = 8,
): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests.length) {
      const i = next++;
      const { path, key } = requests[i]!;
      const status = await check(processes[i % processes.length]!.checkUrl, path, {
        "x-api-key": key,
      });
      answers.push({ path, key, status, at: performance.now() });
    }
  }));
  return answers;
}

/** Answers with `status`, counted per `path key`. */
export function countsBy(answers: Answer[], status: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of answers) {
    if (a.status === status) {
      counts.set(`${a.path} ${a.key}`, (counts.get(`${a.path} ${a.key}`) ?? 0) + 1);
    }
  }
  return counts;
}

export interface Scenario {
  /** `--redis-url` and friends. */
  args: string[];
  env?: Record<string, string>;
  /** Kills a master mid-load; says which. */
  killMaster(): Promise<string>;
  /** Every log line of both processes must pass this (e.g. no password). */
  checkLogs?(text: string): void;
  /** What the Redis group says of itself, for a failure message. */
  describe?(): Promise<string>;
}

const TOKENS = 10;
const KEYS_PER_MODE = 8;
const CAP = 32;

/**
 * The failover scenario: buckets of each failure mode, every key drained through Redis first
 * (exactly `TOKENS` allowed per key across both processes), then load while a master is
 * killed, until every answer has been Redis' 429 for a while after the last failure-mode one.
 * Asserts the failure modes held, the over-admission bounds, enforcement afterwards, the
 * pending cap; returns the measurements for the test's output.
 */
export async function failoverScenario(scenario: Scenario): Promise<Record<string, unknown>> {
  await using folder = await configFolder([
    globalRateLimit({
      buckets: MODES.map((mode) => ({ path: `/${mode}`, failureMode: mode, bucket: HOUR(TOKENS) })),
    }),
    ordersPod(),
  ]);
  const args = [
    ...scenario.args,
    // A generous budget on a shared machine: a dead master fails at once or on this timeout.
    "--redis-timeout-ms",
    "250",
    "--ratelimit-prereject-ms",
    "0",
    "--redis-max-pending",
    String(CAP),
  ];
  const env = scenario.env !== undefined ? { env: scenario.env } : {};
  await using a = await startAuthzProcess(folder.dir, args, env);
  await using b = await startAuthzProcess(folder.dir, args, env);
  const processes = [a, b];
  const pairs = MODES.flatMap((mode) =>
    Array.from({ length: KEYS_PER_MODE }, () => ({ path: `/${mode}`, key: crypto.randomUUID() }))
  );
  // Drain every key through Redis, two processes racing: exactly TOKENS each.
  const drain = await send(processes, pairs.flatMap((p) => Array(TOKENS + 2).fill(p)), 12);
  for (const pair of pairs) {
    assert.equal(countsBy(drain, 200).get(`${pair.path} ${pair.key}`), TOKENS, pair.path);
  }
  const answers: Answer[] = [];
  let stopLoad = false;
  const workers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = w; !stopLoad; i += 8) {
      const pair = pairs[i % pairs.length]!;
      const status = await check(processes[i % 2]!.checkUrl, pair.path, { "x-api-key": pair.key });
      answers.push({ ...pair, status, at: performance.now() });
    }
  });
  let killedAt = 0;
  let recoveredAt = 0;
  let killed = "";
  try {
    await poll(() => answers.length >= 60 || undefined, { what: "load before the kill" });
    killedAt = performance.now();
    killed = await scenario.killMaster();
    // Recovered: some answer came from a failure mode (503, or 200 on a drained key: the
    // window), then only Redis' 429 for 1.5 s and 60 answers.
    await poll(() => {
      const since = answers.filter((x) => x.at > killedAt);
      const last = since.findLastIndex((x) => x.status !== 429);
      if (last < 0) return undefined;
      const after = since.slice(last + 1);
      if (after.length < 60 || performance.now() - since[last]!.at < 1_500) return undefined;
      recoveredAt = since[last]!.at;
      return true;
    }, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: "enforcement through the promoted replica",
    }).catch(async (error: unknown) => {
      const logs = processes.flatMap((p) =>
        p.logs.filter((l) => !String(l.msg).endsWith(" request")).slice(-8)
      );
      const group = await scenario.describe?.() ?? "";
      const m = await a.metrics();
      throw new Error(
        `${error}\n${group}\nAnswers per second since the kill of ${killed}:\n${
          timeline(answers, killedAt)
        }\nLast logs: ${JSON.stringify(logs)}\nMetrics of one process:\n${
          m.split("\n").filter((l) => /redis|fallback/.test(l) && !l.startsWith("#")).join("\n")
        }`,
      );
    });
  } finally {
    stopLoad = true;
    await Promise.all(workers);
  }
  const during = answers.filter((x) => x.at > killedAt && x.at <= recoveredAt);
  const after = answers.filter((x) => x.at > recoveredAt);
  const statuses = (mode: string) =>
    [...new Set(answers.filter((x) => x.path === `/${mode}`).map((x) => x.status))].sort();
  // closed: Redis' 429 or the failure mode's 503; not one request over the limit.
  assert.deepEqual(statuses("closed"), [429, 503]);
  // open and local: Redis' 429 or an allow, and allows only inside the window.
  for (const mode of ["open", "local"]) {
    assert.deepEqual(statuses(mode), [200, 429], mode);
    for (const x of answers.filter((x) => x.path === `/${mode}` && x.status === 200)) {
      assert.ok(
        x.at > killedAt && x.at <= recoveredAt + 1_000,
        `${mode} allowed outside the window`,
      );
    }
  }
  const metrics = await Promise.all(processes.map((p) => p.metrics()));
  const sum = (name: string, match: string) =>
    metrics.reduce((total, m) => total + metricSum(m, name, match), 0);
  const overOpen = answers.filter((x) => x.path === "/open" && x.status === 200).length;
  assert.ok(
    overOpen <= sum("apigw_ratelimit_fallback_total", 'mode="open"'),
    "every allow on /open was a failure-mode answer",
  );
  // local: each process's in-memory bucket of TOKENS per key, no more.
  const overLocal = countsBy(answers.filter((x) => x.path === "/local"), 200);
  for (const [key, count] of overLocal) assert.ok(count <= 2 * TOKENS, `${key}: ${count}`);
  // Enforcement resumed: after the window, Redis (the promoted replica) answers 429 for every
  // drained key of every mode; the replica had the drained state.
  assert.ok(after.length > 0);
  assert.ok(
    after.every((x) => x.status === 429),
    JSON.stringify(after.filter((x) => x.status !== 429).slice(0, 5)),
  );
  // The pending cap held in both processes.
  for (const m of metrics) {
    assert.equal(metricSum(m, "apigw_ratelimit_redis_pending_cap", ""), CAP);
    assert.ok(metricSum(m, "apigw_ratelimit_redis_pending_peak", "") <= CAP, m);
  }
  for (const p of processes) {
    scenario.checkLogs?.(p.logs.map((l) => JSON.stringify(l)).join("\n"));
  }
  return {
    killed,
    windowMs: Math.round(recoveredAt - killedAt),
    answers: answers.length,
    duringWindow: during.length,
    closed503: answers.filter((x) => x.status === 503).length,
    overAdmittedOpen: overOpen,
    overAdmittedLocal: [...overLocal.values()].reduce((s, n) => s + n, 0),
    overAdmittedLocalMaxPerKey: Math.max(0, ...overLocal.values()),
    overAdmittedClosed: 0,
    failovers: sum("apigw_ratelimit_redis_failovers_total", ""),
    slotRefreshes: sum("apigw_ratelimit_redis_slot_refreshes_total", ""),
    pendingPeak: Math.max(
      ...metrics.map((m) => metricSum(m, "apigw_ratelimit_redis_pending_peak", "")),
    ),
    capped: sum("apigw_ratelimit_redis_capped_total", ""),
    fallbacks: sum("apigw_ratelimit_fallback_total", ""),
  };
}

/** Statuses per second after `from`, for a failure message. */
function timeline(answers: Answer[], from: number): string {
  const seconds = new Map<number, Map<string, number>>();
  for (const x of answers) {
    if (x.at <= from) continue;
    const second = Math.floor((x.at - from) / 1000);
    const counts = seconds.get(second) ?? new Map<string, number>();
    const label = `${x.path}:${x.status}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
    seconds.set(second, counts);
  }
  return [...seconds].map(([s, counts]) =>
    `${s}s ${[...counts].map(([k, v]) => `${k}=${v}`).join(" ")}`
  ).join("\n");
}
