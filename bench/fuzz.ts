/**
 * Fuzz campaign (bench/README.md, "fuzz"): the conformance inputs, mutated (dropped fields, nulls,
 * wrong types, huge strings, unicode, duplicated list items, odd numbers, other apiVersions),
 * through every offline entry point (readers, validate, render, convert, admission, parsers,
 * serve's config, the policy index, the global limits) and, every n-th set, the commands
 * `render`, `validate`, `convert` and `explain` themselves on the set written to a file. Seeded and reproducible: a failure prints
 * the seed, the set number and the smallest input set that still throws.
 *
 *   deno task bench:fuzz [--seed N] [--sets N] [--seconds S] [--yaml-every N] [--cli-every N]
 *                        [--from K]    # start at set K: shards of one campaign run side by side
 *   deno task bench:fuzz --seed N --set K       # rebuild and rerun one set, printing it
 *
 * Exit status: 0 no entry point threw, 1 one did.
 */
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { buildSet, type FuzzReport, loadCorpus, runCampaign } from "../tests/fuzz/campaign.ts";

const args = parseArgs({
  options: {
    seed: { type: "string" },
    sets: { type: "string" },
    seconds: { type: "string" },
    set: { type: "string" },
    from: { type: "string" },
    "yaml-every": { type: "string", default: "1" },
    "cli-every": { type: "string", default: "50" },
  },
});
const seed = args.values.seed !== undefined
  ? Number(args.values.seed)
  : Math.floor(Math.random() * 2 ** 31);
const corpus = loadCorpus();

if (args.values.set !== undefined) {
  const set = Number(args.values.set);
  const built = buildSet(corpus, seed, set);
  console.log(`# seed ${seed}, set ${set}: ${built.name}`);
  console.log(`# mutations: ${JSON.stringify(built.mutations)}`);
  console.log(stringify(built.objects));
  const report = await runCampaign(corpus, { seed, firstSet: set, maxSets: 1, cliEvery: 1 });
  print(report);
  Deno.exit(report.throws > 0 ? 1 : 0);
}

const maxSets = args.values.sets !== undefined ? Number(args.values.sets) : undefined;
const seconds = args.values.seconds !== undefined ? Number(args.values.seconds) : undefined;
const from = args.values.from !== undefined ? Number(args.values.from) : 0;
console.log(
  `Fuzzing: seed ${seed}, ${corpus.length} conformance inputs, ` +
    `${maxSets ?? "unbounded"} sets from set ${from}, ${seconds ?? "unbounded"} s`,
);
const report = await runCampaign(corpus, {
  seed,
  firstSet: from,
  ...(maxSets !== undefined ? { maxSets } : {}),
  ...(seconds !== undefined ? { durationMs: seconds * 1000 } : {}),
  yamlEvery: Number(args.values["yaml-every"]),
  cliEvery: Number(args.values["cli-every"]),
  onProgress: (r) => {
    console.log(`  ${progress(r)}`);
  },
});
print(report);
Deno.exit(report.throws > 0 ? 1 : 0);

function progress(r: FuzzReport): string {
  return `${r.sets} sets, ${r.calls} calls, ${r.throws} throws, slowest call ` +
    `${r.slowest.ms.toFixed(1)} ms wall (${r.slowest.entry}, set ${r.slowest.set}), ` +
    `${r.slowestCpu.ms.toFixed(1)} ms CPU (${r.slowestCpu.entry}, set ${r.slowestCpu.set}), ` +
    `${(r.wallMs / 1000).toFixed(0)} s`;
}

function print(r: FuzzReport): void {
  console.log(`Done: seed ${r.seed}: ${progress(r)}`);
  const per = Object.entries(r.totals).map(([k, v]) => `${k} ${(v / r.sets).toFixed(2)}`);
  console.log(`  ms per set: ${per.join(", ")}`);
  for (const f of r.failures) {
    console.log(`\nTHROW in ${f.entry}: seed ${f.seed}, set ${f.set} (${f.case})`);
    console.log(`  rerun: deno task bench:fuzz --seed ${f.seed} --set ${f.set}`);
    console.log(`  mutations: ${JSON.stringify(f.mutations)}`);
    console.log(`  ${f.error.replaceAll("\n", "\n    ")}`);
    console.log(`  minimal input set:\n${indent(safeYaml(f.minimal))}`);
  }
}

function safeYaml(value: unknown): string {
  try {
    return stringify(value);
  } catch {
    return JSON.stringify(value);
  }
}

function indent(text: string): string {
  return text.split("\n").map((l) => `    ${l}`).join("\n");
}
