/**
 * Exact language containment for APIRule v2 rule paths (docs/spec/apirule-v2.md §9.3): does every request
 * path that `later` matches also match `earlier`? Paths are compiled to small NFAs over the URI
 * path alphabet, literal characters meaning themselves (D2 escapes them), `{*}` one or more
 * segment characters or %-escapes, `{**}` any number of them and `/`; `/*` counts as `/{**}`.
 * Then a product walk over the subset states looks for a word that `later` accepts and
 * `earlier` does not.
 */

/** Characters of one path segment: what `{*}` matches besides %-escapes. */
const SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;
const HEX = /^[0-9a-fA-F]$/;

type Test = (c: string) => boolean;

interface Nfa {
  edges: Array<Array<{ test: Test; to: number }>>;
  epsilon: number[][];
  accept: number;
}

function compile(path: string): Nfa {
  const nfa: Nfa = { edges: [], epsilon: [], accept: 0 };
  const state = () => {
    nfa.edges.push([]);
    nfa.epsilon.push([]);
    return nfa.edges.length - 1;
  };
  const edge = (from: number, test: Test, to: number) => nfa.edges[from]?.push({ test, to });
  // One unit of a segment: a segment character, or `%` and two hex digits.
  const unit = (from: number, to: number, slash: boolean) => {
    edge(from, (c) => SEGMENT.test(c) || (slash && c === "/"), to);
    const p = state();
    const q = state();
    edge(from, (c) => c === "%", p);
    edge(p, (c) => HEX.test(c), q);
    edge(q, (c) => HEX.test(c), to);
  };
  let current = state();
  const source = path === "/*" ? "/{**}" : path;
  for (let i = 0; i < source.length;) {
    if (source.startsWith("{**}", i)) {
      const loop = state();
      nfa.epsilon[current]?.push(loop);
      unit(loop, loop, true);
      current = loop;
      i += 4;
    } else if (source.startsWith("{*}", i)) {
      const after = state();
      unit(current, after, false);
      unit(after, after, false);
      current = after;
      i += 3;
    } else {
      const next = state();
      const c = source[i];
      edge(current, (x) => x === c, next);
      current = next;
      i += 1;
    }
  }
  nfa.accept = current;
  return nfa;
}

function closure(nfa: Nfa, states: Iterable<number>): number[] {
  const seen = new Set<number>(states);
  const stack = [...seen];
  for (let s = stack.pop(); s !== undefined; s = stack.pop()) {
    for (const next of nfa.epsilon[s] ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return [...seen].sort((a, b) => a - b);
}

function step(nfa: Nfa, states: readonly number[], c: string): number[] {
  const next = new Set<number>();
  for (const s of states) {
    for (const e of nfa.edges[s] ?? []) if (e.test(c)) next.add(e.to);
  }
  return closure(nfa, next);
}

/** The characters worth trying: every literal of both paths plus one stand-in per class. */
function alphabet(...paths: string[]): string[] {
  const literals = new Set(paths.flatMap((p) => [...p.replaceAll(/\{\*\*?\}/g, "")]));
  const chars = new Set(["/", "%", ...literals]);
  const candidates =
    "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ-._~!$&'()*+,;=:@";
  const hex = [...candidates].find((c) => HEX.test(c) && !literals.has(c));
  const other = [...candidates].find((c) => !HEX.test(c) && !literals.has(c));
  for (const c of [hex, other]) if (c !== undefined) chars.add(c);
  return [...chars];
}

/**
 * Bound on the NFA states one test may touch. Real rule paths need a few thousand; a path built
 * to blow the walk up gets "not covered" (no conflict reported) instead of stalling validation.
 */
const MAX_WORK = 1_000_000;

/** A path without `{*}`, `{**}` or `/*`: it matches itself and nothing else. */
function isLiteral(path: string): boolean {
  return path !== "/*" && !path.includes("{*}") && !path.includes("{**}");
}

/** True when the path NFA accepts `word`. */
function accepts(nfa: Nfa, word: string): boolean {
  let states = closure(nfa, [0]);
  for (const c of word) {
    states = step(nfa, states, c);
    if (states.length === 0) return false;
  }
  return states.includes(nfa.accept);
}

/**
 * True when every path that `later` matches is also matched by `earlier`. A literal `later` is
 * one word, so the question is whether `earlier` matches it, a walk as long as the path; a
 * literal `earlier` covers only itself. Only two patterns need the product walk, whose cost a
 * long path would otherwise drive to its bound on every validation (a 60 000-character literal
 * path took ~0.5 s of each admission review).
 */
export function covers(earlier: string, later: string): boolean {
  if (isLiteral(later)) {
    return isLiteral(earlier) ? earlier === later : accepts(compile(earlier), later);
  }
  if (isLiteral(earlier)) return false;
  return coversByWalk(earlier, later);
}

/** `covers` by the product walk over both NFAs' subset states (any two paths). */
export function coversByWalk(earlier: string, later: string): boolean {
  const a = compile(later);
  const b = compile(earlier);
  const symbols = alphabet(earlier, later);
  const queue: Array<[number[], number[]]> = [[closure(a, [0]), closure(b, [0])]];
  const seen = new Set<string>();
  let work = 0;
  for (let next = 0; next < queue.length; next++) {
    const [sa, sb] = queue[next] ?? [[], []];
    const key = `${sa.join(",")}|${sb.join(",")}`;
    if (seen.has(key)) continue;
    work += (sa.length + sb.length) * symbols.length;
    if (work > MAX_WORK) return false;
    seen.add(key);
    if (sa.includes(a.accept) && !sb.includes(b.accept)) return false;
    for (const c of symbols) {
      const na = step(a, sa, c);
      if (na.length > 0) queue.push([na, step(b, sb, c)]);
    }
  }
  return true;
}
