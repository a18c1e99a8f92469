/**
 * No module of the repository imports itself through others (STYLE §12: shared types live in a
 * leaf file). Walks every static `import`/`export … from` with a relative specifier, type-only
 * imports included: a type cycle is still two modules that need each other.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SKIP = new Set([".git", "node_modules", ".apigw", "dist", ".out", "vendor"]);
// `import … from "x"`, `export … from "x"`, `import "x"`; not dynamic `import("x")`.
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?["']([^"']+)["']/gm;

async function modules(dir: string, found: string[] = []): Promise<string[]> {
  for await (const entry of Deno.readDir(dir)) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory) await modules(path, found);
    else if (/\.tsx?$/.test(entry.name)) found.push(path);
  }
  return found;
}

/** Relative static imports of every module, as repository-relative paths. */
export async function importGraph(root: string): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await modules(root)) {
    const source = await Deno.readTextFile(file);
    const targets: string[] = [];
    for (const match of source.matchAll(STATIC_IMPORT)) {
      const specifier = match[1]!;
      if (!specifier.startsWith(".")) continue;
      targets.push(relative(root, resolve(dirname(file), specifier)));
    }
    graph.set(relative(root, file), targets);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the modules on it, first module repeated. */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const seen = state.get(next);
      if (seen === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (seen === undefined && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

Deno.test("cyclesOf() finds a cycle through type-only imports too", () => {
  const graph = new Map([["a.ts", ["b.ts"]], ["b.ts", ["c.ts"]], ["c.ts", ["a.ts"]], ["d.ts", []]]);
  assert.deepEqual(cyclesOf(graph), [["a.ts", "b.ts", "c.ts", "a.ts"]]);
});

Deno.test("importGraph() reads import, export-from and type-only imports", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "a.ts"), 'import type { B } from "./b.ts";\n');
    await Deno.writeTextFile(join(dir, "b.ts"), 'export { a } from "./a.ts";\nimport "npm:x";\n');
    const graph = await importGraph(dir);
    assert.deepEqual(cyclesOf(graph), [["a.ts", "b.ts", "a.ts"]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the repository has no import cycle", async () => {
  const cycles = cyclesOf(await importGraph(ROOT));
  assert.deepEqual(cycles.map((cycle) => cycle.join(" → ")), []);
});
