/**
 * Running and judging one render conformance case (tests/fixtures/conformance/README.md): the
 * case input goes through the real CLI (`main.ts render -o json`), and the output is judged by
 * subset match, distinct pairing per group and kind, completeness and the error rules.
 */
import { parse } from "yaml";
import { matchSubset } from "./judge.ts";

export interface RenderCase {
  name: string;
  input: string;
  expect: Array<Record<string, unknown>>;
  expectError: string | null;
  match?: "subset";
}

const OWN_KINDS = new Set([
  "gateway.kyma-project.io/APIRule",
  "gateway.kyma-project.io/RateLimit",
  "operator.kyma-project.io/APIGateway",
]);
const REPO = new URL("../../", import.meta.url);
export const NOW = "2026-01-01T00:00:00Z";

/** Reads a case file. */
export function readRenderCase(url: URL): RenderCase {
  const raw: unknown = parse(Deno.readTextFileSync(url));
  if (typeof raw !== "object" || raw === null || !("input" in raw) || !("expect" in raw)) {
    throw new TypeError(`${url.pathname} is not a render case`);
  }
  return raw as RenderCase;
}

/** `group/Kind` of an object (the version is not compared). */
export function groupKind(object: Record<string, unknown>): string {
  const apiVersion = String(object.apiVersion ?? "");
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  return `${group}/${String(object.kind)}`;
}

export interface RenderRun {
  code: number;
  stdout: string;
  stderr: string;
  items: Array<Record<string, unknown>>;
}

/** Runs `apigw render` on the case input through the CLI. */
export async function runRender(input: string): Promise<RenderRun> {
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(file, input);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "render", "-f", file, "-o", "json", "--now", NOW],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    let items: Array<Record<string, unknown>> = [];
    try {
      items = JSON.parse(stdout).items ?? [];
    } catch {
      items = [];
    }
    return { code: output.code, stdout, stderr: new TextDecoder().decode(output.stderr), items };
  } finally {
    await Deno.remove(file);
  }
}

const skipHash = (path: string) => path.endsWith("labels.gateway.kyma-project.io/hash");

/** Every way the run misses the case; empty when it passes. */
export function judgeRender(c: RenderCase, run: RenderRun, folder: string): string[] {
  if (c.expectError !== null && c.expectError !== undefined) {
    const problems: string[] = [];
    if (run.code !== 1) problems.push(`exit code ${run.code}, expected 1\n${run.stderr}`);
    const descriptions = run.items.map((o) =>
      JSON.stringify((o.status as { description?: unknown })?.description ?? "")
    );
    if (
      !run.stderr.includes(c.expectError) &&
      !descriptions.some((d) => JSON.parse(d).includes?.(c.expectError))
    ) {
      problems.push(
        `neither stderr nor a status contains ${JSON.stringify(c.expectError)}:\n${run.stderr}`,
      );
    }
    return problems;
  }
  const notReady = c.expect.some((e) =>
    OWN_KINDS.has(groupKind(e)) &&
    (e.status as { state?: string } | undefined)?.state !== undefined &&
    (e.status as { state?: string }).state !== "Ready"
  );
  const problems: string[] = [];
  if (run.code !== (notReady ? 1 : 0)) problems.push(`exit code ${run.code}\n${run.stderr}`);
  const subset = c.match === "subset" || folder === "apigateway";
  const kinds = new Set(c.expect.map(groupKind));
  for (const kind of kinds) {
    const wanted = c.expect.filter((e) => groupKind(e) === kind);
    const got = run.items.filter((o) => groupKind(o) === kind);
    const exact = !subset || (folder === "ratelimit" && kind === "networking.istio.io/EnvoyFilter");
    if (exact && wanted.length !== got.length) {
      problems.push(`${kind}: expected ${wanted.length} objects, got ${got.length}`);
    }
    problems.push(...pair(kind, wanted, got));
  }
  if (!subset) {
    for (const item of run.items) {
      const kind = groupKind(item);
      if (!kinds.has(kind) && !OWN_KINDS.has(kind)) {
        problems.push(`unexpected ${kind} in the output`);
      }
    }
  }
  if (folder === "ratelimit" && !kinds.has("networking.istio.io/EnvoyFilter")) {
    const filters = run.items.filter((o) => groupKind(o) === "networking.istio.io/EnvoyFilter");
    if (filters.length > 0) problems.push(`expected no EnvoyFilter, got ${filters.length}`);
  }
  return problems;
}

/** Pairs each expected object with a distinct output object (backtracking over candidates). */
function pair(
  kind: string,
  wanted: Array<Record<string, unknown>>,
  got: Array<Record<string, unknown>>,
): string[] {
  const compare = (e: Record<string, unknown>, a: Record<string, unknown>) =>
    matchSubset({ ...e, apiVersion: undefined }, { ...a, apiVersion: undefined }, "", {
      skip: skipHash,
    });
  const fits = wanted.map((e) => got.map((a) => compare(e, a).length === 0));
  const used = new Set<number>();
  const assign = (i: number): boolean => {
    if (i === wanted.length) return true;
    for (let j = 0; j < got.length; j++) {
      if (used.has(j) || !fits[i]![j]) continue;
      used.add(j);
      if (assign(i + 1)) return true;
      used.delete(j);
    }
    return false;
  };
  if (assign(0)) return [];
  // No full pairing: report, for each expected object, its closest output object's mismatches.
  return wanted.flatMap((e, i) => {
    if (fits[i]!.some(Boolean)) return [];
    const best = got.map((a) => compare(e, a)).sort((x, y) => x.length - y.length)[0];
    const name = JSON.stringify(
      (e.metadata as Record<string, unknown> | undefined)?.name ??
        (e.metadata as Record<string, unknown> | undefined)?.generateName ?? "",
    );
    return best === undefined
      ? [`${kind} ${name}: no such object in the output`]
      : [`${kind} ${name}: ${best.slice(0, 5).join("; ")}`];
  });
}
