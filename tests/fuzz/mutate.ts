/**
 * Seeded mutations of Kubernetes objects for the fuzz campaign: every input set is derived from
 * (campaign seed, set number) alone, so any set can be rebuilt from those two numbers.
 */

/** A source of numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: a small, fast PRNG that is plenty for picking mutations. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of set `set` of the campaign seeded with `seed` (distinct pairs, distinct seeds). */
export function setSeed(seed: number, set: number): number {
  let h = mix(seed >>> 0);
  h = mix((h + Math.imul(set >>> 0, 0x9e3779b9)) >>> 0);
  return mix((h + Math.floor(set / 4294967296)) >>> 0);
}

// murmur3's finaliser: every input bit flips about half the output bits.
function mix(value: number): number {
  let h = value;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** One applied mutation: what was done where (`spec.rules[0].path`). */
export interface Mutation {
  kind: MutationKind;
  object: number;
  path: string;
}

export const MUTATION_KINDS = [
  "drop",
  "null",
  "wrongType",
  "hugeString",
  "unicode",
  "duplicate",
  "oddNumber",
  "unknownField",
  "apiVersion",
] as const;
export type MutationKind = typeof MUTATION_KINDS[number];

type Key = string | number;

const WRONG_TYPES: readonly unknown[] = [
  0,
  1,
  -1,
  "",
  "x",
  true,
  false,
  [],
  {},
  ["x"],
  { a: "b" },
  [
    null,
  ],
];

const ODD_NUMBERS: readonly number[] = [
  0,
  -0,
  -1,
  1.5,
  -2.5,
  65535,
  65536,
  2147483648,
  4294967296,
  2 ** 53 + 1,
  -(2 ** 53) - 1,
  1e308,
  -1e308,
  5e-324,
  Number.MAX_VALUE,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

const UNICODE: readonly string[] = [
  "é",
  "İ",
  "ß",
  "\u0000",
  "\r\n",
  "\t",
  "\u202e",
  "\ufeff",
  "\u200b",
  "😀",
  "\ud800",
  "\udfff",
  "e\u0301",
  "Ａ",
  "漢字",
  "\u2028",
  "%00",
  "%2F",
  "..",
  "/../",
  "{**}",
  "*",
  "$",
  "\\",
  "'",
  '"',
  "${x}",
  "a".repeat(64),
];

const API_VERSIONS: readonly string[] = [
  "gateway.kyma-project.io/v1beta1",
  "gateway.kyma-project.io/v2alpha1",
  "gateway.kyma-project.io/v2",
  "gateway.kyma-project.io/v1alpha1",
  "operator.kyma-project.io/v1alpha1",
  "gateway.kyma-project.io/v3",
];

/** `objects` (a deep copy) with 1–4 random mutations, and the list of what was done. */
export function mutateSet(
  objects: readonly unknown[],
  random: Random,
): { objects: unknown[]; mutations: Mutation[] } {
  const out = structuredClone(objects) as unknown[];
  const mutations: Mutation[] = [];
  const count = 1 + Math.floor(random() * 4);
  for (let i = 0; i < count && out.length > 0; i++) {
    // apigw's own kinds get most of the mutations: they are what the entry points parse.
    const own = out.map((o, n) => [o, n] as const).filter(([o]) => isOwn(o));
    const pool = own.length > 0 && random() < 0.85 ? own : out.map((o, n) => [o, n] as const);
    const [, index] = pick(random, pool);
    const kind = pick(random, MUTATION_KINDS);
    const mutated = mutateObject(out[index], kind, random);
    out[index] = mutated.value;
    mutations.push({ kind, object: index, path: mutated.path });
  }
  return { objects: out, mutations };
}

function mutateObject(
  root: unknown,
  kind: MutationKind,
  random: Random,
): { value: unknown; path: string } {
  if (kind === "apiVersion" && isRecord(root)) {
    root.apiVersion = pick(random, API_VERSIONS);
    return { value: root, path: "apiVersion" };
  }
  const paths = allPaths(root);
  const path = pick(random, paths);
  const shown = showPath(path);
  const current = get(root, path);
  switch (kind) {
    case "drop":
      return { value: path.length === 0 ? {} : remove(root, path), path: shown };
    case "null":
      return { value: set(root, path, null), path: shown };
    case "wrongType":
      return { value: set(root, path, structuredClone(pick(random, WRONG_TYPES))), path: shown };
    case "hugeString": {
      const unit = random() < 0.5 ? "a" : pick(random, UNICODE);
      // Mostly up to 64 KiB; now and then 1 MiB, about what fits in an apiserver request.
      const length = random() < 0.01 ? 1_048_576 : Math.floor(2 ** (random() * 16));
      return {
        value: set(root, path, unit.repeat(Math.max(1, length / unit.length))),
        path: shown,
      };
    }
    case "unicode": {
      const text = typeof current === "string" ? current : "";
      const at = Math.floor(random() * (text.length + 1));
      const spliced = text.slice(0, at) + pick(random, UNICODE) + text.slice(at);
      return { value: set(root, path, spliced), path: shown };
    }
    case "duplicate": {
      const list = Array.isArray(current)
        ? current
        : path.length > 0 && Array.isArray(get(root, path.slice(0, -1)))
        ? get(root, path.slice(0, -1)) as unknown[]
        : undefined;
      if (list === undefined || list.length === 0) return { value: root, path: shown };
      list.push(structuredClone(pick(random, list)));
      return { value: root, path: shown };
    }
    case "oddNumber":
      return { value: set(root, path, pick(random, ODD_NUMBERS)), path: shown };
    case "unknownField": {
      if (!isRecord(current)) return { value: set(root, path, { extra: current }), path: shown };
      // A copy: the shared constant must not grow (and loop) across sets.
      current[pick(random, ["extra", "__proto__", "constructor", "toString", "name", ""])] =
        structuredClone(pick(random, WRONG_TYPES));
      return { value: root, path: shown };
    }
    default:
      return { value: root, path: shown };
  }
}

/** Every path in `value` (the root is `[]`), at most a few hundred, parents before children. */
export function allPaths(value: unknown, limit = 400): Key[][] {
  const out: Key[][] = [];
  const queue: { node: unknown; path: Key[] }[] = [{ node: value, path: [] }];
  while (queue.length > 0 && out.length < limit) {
    const { node, path } = queue.shift()!;
    out.push(path);
    if (path.length > 16) continue;
    if (Array.isArray(node)) {
      node.forEach((item, i) => queue.push({ node: item, path: [...path, i] }));
    } else if (isRecord(node)) {
      for (const [key, child] of Object.entries(node)) {
        queue.push({ node: child, path: [...path, key] });
      }
    }
  }
  return out;
}

/** `spec.rules[0].path`. */
export function showPath(path: readonly Key[]): string {
  return path.map((k, i) => typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`).join("");
}

function get(root: unknown, path: readonly Key[]): unknown {
  let node = root;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === "number") node = node[key];
    else if (isRecord(node) && typeof key === "string") node = node[key];
    else return undefined;
  }
  return node;
}

function set(root: unknown, path: readonly Key[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = get(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof key === "number") parent[key] = value;
  else if (isRecord(parent) && typeof key === "string") {
    Object.defineProperty(parent, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return root;
}

/** `root` without the node at `path` (a list item is spliced out). */
export function remove(root: unknown, path: readonly Key[]): unknown {
  if (path.length === 0) return root;
  const parent = get(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof key === "number") parent.splice(key, 1);
  else if (isRecord(parent) && typeof key === "string") delete parent[key];
  return root;
}

/** A random element of a non-empty list. */
export function pick<T>(random: Random, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

function isOwn(value: unknown): boolean {
  return isRecord(value) && typeof value.apiVersion === "string" &&
    /kyma-project\.io\//.test(value.apiVersion);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
