/**
 * A CPU profile of a Deno process started with `--inspect`, over the DevTools protocol
 * (`Profiler.start`/`Profiler.stop`) or a value evaluated in it (`Runtime.evaluate`), and the shares of its samples by function and by origin
 * (a Deno extension, apigw's own files, an npm package, V8's `(garbage collector)`, `(program)`
 * for native code outside JavaScript, `(idle)`).
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
}

/** Starts sampling the process whose inspector WebSocket is `wsUrl`; the result stops it. */
export async function startProfile(
  wsUrl: string,
  intervalUs = 200,
): Promise<() => Promise<CpuProfile>> {
  const session = await devtools(wsUrl);
  await session.call("Profiler.enable");
  await session.call("Profiler.setSamplingInterval", { interval: intervalUs });
  await session.call("Profiler.start");
  return async () => {
    const { profile } = await session.call("Profiler.stop") as { profile: CpuProfile };
    session.close();
    return profile;
  };
}

/**
 * The value of `expression` evaluated in the main isolate of the process behind `wsUrl`; with
 * `collectGarbage`, after a full GC of that isolate (what is retained, not what awaits collection).
 */
export async function evaluate(
  wsUrl: string,
  expression: string,
  collectGarbage = false,
): Promise<unknown> {
  const session = await devtools(wsUrl);
  try {
    if (collectGarbage) await session.call("HeapProfiler.collectGarbage");
    const answer = await session.call("Runtime.evaluate", { expression, returnByValue: true }) as {
      result: { value?: unknown };
    };
    return answer.result.value;
  } finally {
    session.close();
  }
}

/** A DevTools protocol session: `call(method, params)` resolves with the method's result. */
async function devtools(wsUrl: string): Promise<{
  call(method: string, params?: Record<string, unknown>): Promise<unknown>;
  close(): void;
}> {
  const socket = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`cannot open ${wsUrl}`));
  });
  const pending = new Map<number, (result: unknown) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data));
    if (typeof message.id === "number") pending.get(message.id)?.(message.result);
  };
  let next = 1;
  return {
    call(method, params = {}) {
      const id = next++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => pending.set(id, resolve));
    },
    close: () => socket.close(),
  };
}

export interface Share {
  name: string;
  percent: number;
}

/** Self-time shares, by function (`name url:line`) and by origin, biggest first. */
export function shares(
  profile: CpuProfile,
  root: string,
): { functions: Share[]; origins: Share[] } {
  const hits = new Map<number, number>();
  if (profile.samples !== undefined) {
    for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  } else {
    for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
  }
  const total = [...hits.values()].reduce((a, b) => a + b, 0) || 1;
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0;
    if (count === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === "" ? "" : ` ${shortUrl(url, root)}:${lineNumber + 1}`;
    const fn = `${functionName || "(anonymous)"}${where}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + count);
    const origin = originOf(functionName, url, root);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + count);
  }
  const sorted = (map: Map<string, number>) =>
    [...map].map(([name, count]) => ({ name, percent: 100 * count / total }))
      .sort((a, b) => b.percent - a.percent);
  return { functions: sorted(byFunction), origins: sorted(byOrigin) };
}

function shortUrl(url: string, root: string): string {
  const path = url.startsWith("file://") ? new URL(url).pathname : url;
  if (path.startsWith(root)) return path.slice(root.length);
  const npm = /\/npm\/registry\.npmjs\.org\/(@[^/]+\/[^/]+|[^/]+)\/[^/]+\/(.*)$/.exec(path);
  return npm !== null ? `npm:${npm[1]}/${npm[2]}` : path;
}

function originOf(functionName: string, url: string, root: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const short = shortUrl(url, root);
  if (short.startsWith("ext:")) return short.split("/")[0]!;
  if (short.startsWith("npm:")) {
    return short.split("/").slice(0, short.startsWith("npm:@") ? 2 : 1).join("/");
  }
  if (short.startsWith("node:")) return "node:";
  return `apigw ${short.split("/")[0]}`;
}
