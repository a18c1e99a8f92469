/**
 * Regex engines for author-written regexes (v1beta1 rule paths, CORS `allowOrigins` regexes):
 * per-match time on typical paths and origins, and the time of one match of a catastrophic
 * pattern on hostile input of growing length, for
 *
 * - `v8`: V8's backtracking engine, the default (`new RegExp`);
 * - `v8-fallback`: V8 with `--enable-experimental-regexp-engine-on-excessive-backtracks
 *   --regexp-backtracks-before-fallback=N` (run in a child Deno with those `--v8-flags`);
 * - `re2js`: the pure-JavaScript port of RE2 (npm `re2js`);
 * - `re2-wasm`: RE2 compiled to WebAssembly (npm `re2-wasm`).
 *
 * `deno task bench:regex` prints one Markdown table per measurement. V8's own engine is measured
 * on hostile input only up to a length where one match still ends in a few seconds.
 */
import { RE2JS } from "re2js";
import { RE2 as RE2Wasm } from "npm:re2-wasm@1.0.2";

const TYPICAL: { pattern: string; inputs: string[] }[] = [
  { pattern: "/api/v1/orders/[0-9]+", inputs: ["/api/v1/orders/4711", "/api/v1/orders/x"] },
  { pattern: "/.*", inputs: ["/anything/goes/here?with=query", "/"] },
  { pattern: "/(users|groups)/[^/]+/items/.*", inputs: ["/users/alice/items/42/photo", "/x"] },
  {
    pattern: "https://([a-z0-9-]+\\.)*example\\.com",
    inputs: ["https://shop.eu.example.com", "https://evil.com"],
  },
];
const HOSTILE = "/api/(a+)+/x";
const hostileInput = (n: number) => `/api/${"a".repeat(n)}!`;
const HOSTILE_LENGTHS = [16, 20, 24, 1_000, 100_000];
const V8_HOSTILE_LIMIT = 24; // doubles per character: 28 takes ~16x as long as 24

const ENGINES = ["v8", "v8-fallback", "re2js", "re2-wasm"] as const;
type Engine = typeof ENGINES[number];
const FALLBACK_BACKTRACKS = 50;
type Matcher = (input: string) => boolean;

function compile(engine: Engine, pattern: string): Matcher {
  const anchored = `^(?:${pattern})$`;
  switch (engine) {
    case "v8":
    case "v8-fallback": {
      const regex = new RegExp(anchored);
      return (input) => regex.test(input);
    }
    case "re2js": {
      const regex = RE2JS.compile(pattern);
      return (input) => regex.matches(input);
    }
    case "re2-wasm": {
      const regex = new RE2Wasm(anchored, "u");
      return (input) => regex.test(input);
    }
  }
}

function perMatchNs(match: Matcher, inputs: string[]): number {
  const rounds = 20_000;
  for (let i = 0; i < 1_000; i++) for (const input of inputs) match(input);
  const start = performance.now();
  for (let i = 0; i < rounds; i++) for (const input of inputs) match(input);
  return ((performance.now() - start) * 1e6) / (rounds * inputs.length);
}

function hostileMs(match: Matcher, n: number): { ms: number; matched: boolean } {
  const input = hostileInput(n);
  const start = performance.now();
  const matched = match(input);
  return { ms: performance.now() - start, matched };
}

/** One engine's results as a JSON line (the child process of `v8-fallback` prints this). */
function measure(engine: Engine) {
  const typical = TYPICAL.map(({ pattern, inputs }) => ({
    pattern,
    ns: perMatchNs(compile(engine, pattern), inputs),
  }));
  const hostile = HOSTILE_LENGTHS.filter((n) => engine !== "v8" || n <= V8_HOSTILE_LIMIT).map(
    (n) => ({ n, ...hostileMs(compile(engine, HOSTILE), n) }),
  );
  return { engine, typical, hostile };
}

type Measured = ReturnType<typeof measure>;

/** Each engine runs in a fresh Deno, so one's garbage and JIT state do not bias the next. */
async function inChild(engine: Engine): Promise<Measured> {
  const flags = engine === "v8-fallback"
    ? [
      `--v8-flags=--enable-experimental-regexp-engine-on-excessive-backtracks,--regexp-backtracks-before-fallback=${FALLBACK_BACKTRACKS}`,
    ]
    : [];
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...flags,
      import.meta.filename ?? new URL(import.meta.url).pathname,
      "--child",
      engine,
    ],
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`child for ${engine} failed`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

async function main() {
  if (Deno.args[0] === "--child") {
    const engine = ENGINES.find((e) => e === Deno.args[1]);
    if (engine === undefined) throw new TypeError(`unknown engine ${Deno.args[1]}`);
    console.log(JSON.stringify(measure(engine)));
    return;
  }
  const results: Measured[] = [];
  for (const engine of ENGINES) results.push(await inChild(engine));
  console.log("\nPer match on typical input (ns, lower is better)\n");
  console.log(`| pattern | ${results.map((r) => r.engine).join(" | ")} |`);
  console.log(`| --- |${results.map(() => " ---: |").join("")}`);
  for (const [i, { pattern }] of TYPICAL.entries()) {
    const cells = results.map((r) => (r.typical[i]?.ns ?? NaN).toFixed(0));
    console.log(`| \`${pattern}\` | ${cells.join(" | ")} |`);
  }
  console.log(`\nOne match of \`${HOSTILE}\` against \`/api/a…a!\` (ms; — not run)\n`);
  console.log(`| length | ${results.map((r) => r.engine).join(" | ")} |`);
  console.log(`| ---: |${results.map(() => " ---: |").join("")}`);
  for (const n of HOSTILE_LENGTHS) {
    const cells = results.map((r) => {
      const hit = r.hostile.find((h) => h.n === n);
      return hit === undefined ? "—" : hit.ms.toFixed(2);
    });
    console.log(`| ${n} | ${cells.join(" | ")} |`);
  }
}

if (import.meta.main) await main();
