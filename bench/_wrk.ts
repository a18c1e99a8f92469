/** One wrk run (`--latency`) and the numbers the benchmarks report from its output. */

export interface WrkRun {
  url: string;
  threads: string | number;
  connections: string | number;
  durationS: string | number;
  headers?: Record<string, string>;
  /** A Lua script (`-s`). */
  script?: string;
  env?: Record<string, string>;
}

export interface WrkResult {
  /** wrk's whole report, for what only one benchmark reads. */
  text: string;
  /** Requests per second; NaN when wrk printed none. */
  rate: number;
  p50: string;
  p99: string;
  /** "Non-2xx or 3xx responses", when wrk counted any. */
  non2xx?: string;
}

export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const output = await new Deno.Command("wrk", {
    args: [
      "-t",
      String(run.threads),
      "-c",
      String(run.connections),
      "-d",
      `${run.durationS}s`,
      "--latency",
      ...Object.entries(run.headers ?? {}).flatMap(([name, value]) => ["-H", `${name}: ${value}`]),
      ...(run.script !== undefined ? ["-s", run.script] : []),
      run.url,
    ],
    ...(run.env !== undefined ? { env: run.env } : {}),
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1];
  return {
    text,
    rate: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN),
    p50: /\s50%\s+(\S+)/.exec(text)?.[1] ?? "?",
    p99: /\s99%\s+(\S+)/.exec(text)?.[1] ?? "?",
    ...(non2xx !== undefined ? { non2xx } : {}),
  };
}

/** The median of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
