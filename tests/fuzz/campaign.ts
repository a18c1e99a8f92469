/**
 * The fuzz campaign: conformance inputs, mutated (`mutate.ts`), through every offline entry point
 * (`entry_points.ts`). Seeded and bounded by sets and time; a failure names the campaign seed and
 * set number (enough to rebuild the set) and the smallest input set found that still throws.
 */
import process from "node:process";
import { parse } from "yaml";
import { caseFiles, RENDER_FOLDERS } from "../conformance/cases.ts";
import {
  allPaths,
  mutateSet,
  type Mutation,
  pick,
  remove,
  seededRandom,
  setSeed,
} from "./mutate.ts";
import { CLI_ENTRY_POINTS, hostsOf, runCliEntry } from "./cli_entry_points.ts";
import {
  ENTRY_POINTS,
  type InputSet,
  readAsFolder,
  readAsYaml,
  readInMemory,
  yamlOf,
} from "./entry_points.ts";

export interface Corpus {
  name: string;
  objects: unknown[];
}

export interface FuzzOptions {
  seed: number;
  /** Stop after this many input sets. */
  maxSets?: number;
  /** Stop after this long (checked between sets). */
  durationMs?: number;
  /** Start at this set number (to rebuild one set: `firstSet: n, maxSets: 1`). */
  firstSet?: number;
  /** Every how many sets the set also goes through the YAML readers (1 = always). */
  yamlEvery?: number;
  /** Every how many sets the set also goes through the commands (`cli_entry_points.ts`). */
  cliEvery?: number;
  /** Stop at the first failure (CI); the long run collects distinct failures instead. */
  stopOnFailure?: boolean;
  onProgress?: (report: FuzzReport) => void;
}

export interface FuzzFailure {
  seed: number;
  set: number;
  case: string;
  entry: string;
  error: string;
  mutations: Mutation[];
  /** The smallest input set found that still throws in `entry`. */
  minimal: unknown[];
}

export interface FuzzReport {
  seed: number;
  sets: number;
  calls: number;
  throws: number;
  failures: FuzzFailure[];
  slowest: { entry: string; ms: number; set: number };
  /**
   * The call that used the most CPU (this process's user + system time): unlike `slowest`, not
   * inflated when the process waits for a core on a shared machine or is paused.
   */
  slowestCpu: { entry: string; ms: number; set: number };
  /** Time spent in each entry point, ms. */
  totals: Record<string, number>;
  wallMs: number;
}

/** The inputs of every conformance case (render folders and conversion cases). */
export function loadCorpus(): Corpus[] {
  const corpus: Corpus[] = [];
  for (const folder of [...RENDER_FOLDERS, "conversion"]) {
    for (const file of caseFiles(folder)) {
      const data = parse(Deno.readTextFileSync(file)) as Record<string, unknown>;
      const texts = [data.input, (data.convert as Record<string, unknown> | undefined)?.from];
      for (const text of texts) {
        if (typeof text !== "string") continue;
        const objects: unknown[] = [];
        for (const doc of text.split(/^---$/m)) {
          const value: unknown = parse(doc);
          if (value !== null && value !== undefined) objects.push(value);
        }
        corpus.push({ name: `${folder}/${file.pathname.split("/").pop()}`, objects });
      }
    }
  }
  return corpus;
}

/** Runs the campaign; never throws itself (a throw of an entry point is a failure it reports). */
export async function runCampaign(
  corpus: readonly Corpus[],
  options: FuzzOptions,
): Promise<FuzzReport> {
  const started = performance.now();
  const report: FuzzReport = {
    seed: options.seed,
    sets: 0,
    calls: 0,
    throws: 0,
    failures: [],
    slowest: { entry: "", ms: 0, set: -1 },
    slowestCpu: { entry: "", ms: 0, set: -1 },
    totals: {},
    wallMs: 0,
  };
  const first = options.firstSet ?? 0;
  const yamlEvery = options.yamlEvery ?? 1;
  const cliEvery = options.cliEvery ?? 50;
  const seen = new Set<string>();
  const dir = await Deno.makeTempDir({ prefix: "apigw-fuzz-" });
  for (let set = first;; set++) {
    if (options.maxSets !== undefined && report.sets >= options.maxSets) break;
    if (options.durationMs !== undefined && performance.now() - started > options.durationMs) break;
    const built = buildSet(corpus, options.seed, set);
    const outcome = runSet(built.objects, { yaml: set % yamlEvery === 0 }, report, set) ??
      (set % cliEvery === 0 ? await runCliSet(built.objects, dir, report, set) : undefined);
    report.sets++;
    if (outcome !== undefined) {
      report.throws++;
      const key = `${outcome.entry}: ${outcome.error.split("\n")[0]}`;
      if (!seen.has(key)) {
        seen.add(key);
        report.failures.push({
          seed: options.seed,
          set,
          case: built.name,
          entry: outcome.entry,
          error: outcome.error,
          mutations: built.mutations,
          // The commands are async and slow: their failures keep the whole set.
          minimal: outcome.entry.startsWith("cli ")
            ? built.objects
            : shrink(built.objects, outcome.entry),
        });
      }
      if (options.stopOnFailure) break;
    }
    if (options.onProgress !== undefined && report.sets % 10_000 === 0) {
      report.wallMs = performance.now() - started;
      options.onProgress(report);
    }
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  report.wallMs = performance.now() - started;
  return report;
}

async function runCliSet(
  raw: readonly unknown[],
  dir: string,
  report: FuzzReport,
  set: number,
): Promise<Thrown | undefined> {
  const text = yamlOf(raw);
  if (text === undefined) return undefined;
  const file = `${dir}/set.yaml`;
  await Deno.writeTextFile(file, text);
  const hosts = hostsOf(raw);
  for (const entry of CLI_ENTRY_POINTS) {
    const start = clock();
    const error = await runCliEntry(entry, file, hosts);
    time(report, entry.name, start, set);
    if (error !== undefined) return { entry: entry.name, error };
  }
  return undefined;
}

/** Input set `set` of the campaign seeded `seed`: which case, mutated how. */
export function buildSet(
  corpus: readonly Corpus[],
  seed: number,
  set: number,
): { name: string; objects: unknown[]; mutations: Mutation[] } {
  const random = seededRandom(setSeed(seed, set));
  const base = pick(random, corpus);
  const { objects, mutations } = mutateSet(base.objects, random);
  return { name: base.name, objects, mutations };
}

interface Thrown {
  entry: string;
  error: string;
}

function runSet(
  raw: readonly unknown[],
  options: { yaml: boolean },
  report: FuzzReport,
  set: number,
  only?: string,
): Thrown | undefined {
  let read;
  // Writing the YAML is the campaign's work, not apigw's: not timed.
  const text = options.yaml ? yamlOf(raw) : undefined;
  if (text !== undefined) {
    const folderStart = clock();
    try {
      readAsFolder(text);
    } catch (error) {
      return { entry: "read folder", error: describe(error) };
    } finally {
      time(report, "read folder", folderStart, set);
    }
  }
  const readStart = clock();
  try {
    read = text !== undefined ? readAsYaml(text) : readInMemory(raw);
  } catch (error) {
    return { entry: "read", error: describe(error) };
  } finally {
    time(report, "read", readStart, set);
  }
  const input: InputSet = { raw, read };
  for (const entry of ENTRY_POINTS) {
    if (only !== undefined && entry.name !== only) continue;
    const start = clock();
    try {
      entry.run(input);
    } catch (error) {
      return { entry: entry.name, error: describe(error) };
    } finally {
      time(report, entry.name, start, set);
    }
  }
  return undefined;
}

interface Clock {
  wall: number;
  cpu: NodeJS.CpuUsage;
}

function clock(): Clock {
  return { wall: performance.now(), cpu: process.cpuUsage() };
}

function time(report: FuzzReport, entry: string, start: Clock, set: number): void {
  const ms = performance.now() - start.wall;
  const used = process.cpuUsage(start.cpu);
  const cpuMs = (used.user + used.system) / 1000;
  report.calls++;
  report.totals[entry] = (report.totals[entry] ?? 0) + ms;
  if (ms > report.slowest.ms) report.slowest = { entry, ms, set };
  if (cpuMs > report.slowestCpu.ms) report.slowestCpu = { entry, ms: cpuMs, set };
}

/** Greedy shrinking: drop whole objects, then fields and list items, while `entry` still throws. */
function shrink(objects: readonly unknown[], entry: string): unknown[] {
  const scratch: FuzzReport = {
    seed: 0,
    sets: 0,
    calls: 0,
    throws: 0,
    failures: [],
    slowest: { entry: "", ms: 0, set: 0 },
    slowestCpu: { entry: "", ms: 0, set: 0 },
    totals: {},
    wallMs: 0,
  };
  const throws = (candidate: unknown[]) =>
    runSet(candidate, { yaml: true }, scratch, 0, entry.startsWith("read") ? "" : entry) !==
      undefined;
  let current = structuredClone(objects) as unknown[];
  for (let i = current.length - 1; i >= 0; i--) {
    const candidate = current.filter((_, n) => n !== i);
    if (throws(candidate)) current = candidate;
  }
  let budget = 3000;
  let progress = true;
  while (progress && budget > 0) {
    progress = false;
    for (let i = 0; i < current.length && budget > 0; i++) {
      // Deepest paths first, so a field goes before the object holding it is tried.
      for (const path of allPaths(current[i], 2000).reverse()) {
        if (path.length === 0 || budget-- <= 0) continue;
        const candidate = structuredClone(current);
        candidate[i] = remove(candidate[i], path);
        if (throws(candidate)) {
          current = candidate;
          progress = true;
          break;
        }
      }
    }
  }
  return current;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const frames = (error.stack ?? "").split("\n").filter((l) => l.includes("at ")).slice(0, 4);
    return [`${error.name}: ${error.message}`, ...frames.map((f) => f.trim())].join("\n");
  }
  return String(error);
}
