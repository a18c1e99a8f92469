/**
 * The short fuzz run of `deno task test` (the long one is `deno task bench:fuzz`, bench/README.md):
 * mutated conformance inputs through every offline entry point (and, every 50th set, the
 * commands themselves) for about 25 s. A throw fails the
 * test with the seed, the set number and the smallest input set that still throws.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { buildSet, loadCorpus, runCampaign } from "./campaign.ts";

// A fresh seed each run widens coverage over time; FUZZ_SEED replays a failing one.
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? Math.floor(Math.random() * 2 ** 31));
const SECONDS = Number(Deno.env.get("FUZZ_SECONDS") ?? 25);

Deno.test("entry points never throw on mutated conformance inputs", async () => {
  const report = await runCampaign(loadCorpus(), {
    seed: SEED,
    durationMs: SECONDS * 1000,
    stopOnFailure: true,
  });
  console.log(
    `fuzz: seed ${report.seed}, ${report.sets} sets, ${report.calls} calls, slowest call ` +
      `${report.slowest.ms.toFixed(0)} ms (${report.slowest.entry})`,
  );
  const failure = report.failures[0];
  assert.ok(report.sets > 0, `no input set ran (seed ${SEED})`);
  assert.equal(
    failure,
    undefined,
    failure === undefined ? "" : [
      `${failure.entry} threw on seed ${failure.seed}, set ${failure.set} (${failure.case})`,
      `rerun: FUZZ_SEED=${failure.seed} deno test -A tests/fuzz/fuzz_test.ts, or`,
      `       deno task bench:fuzz --seed ${failure.seed} --set ${failure.set}`,
      `mutations: ${JSON.stringify(failure.mutations)}`,
      failure.error,
      "minimal input set:",
      safeYaml(failure.minimal),
    ].join("\n"),
  );
});

Deno.test("buildSet() rebuilds the same input set from seed and set number", () => {
  const corpus = loadCorpus();
  assert.ok(corpus.length > 20, "conformance corpus is missing");
  assert.deepEqual(buildSet(corpus, 7, 12345), buildSet(corpus, 7, 12345));
  assert.notDeepEqual(buildSet(corpus, 7, 12345).mutations, buildSet(corpus, 8, 12344).mutations);
});

function safeYaml(value: unknown): string {
  try {
    return stringify(value);
  } catch {
    return JSON.stringify(value);
  }
}
