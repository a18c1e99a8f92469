/**
 * Per-process figures of the benchmarks from Linux's /proc: CPU seconds (user + system, from
 * `/proc/<pid>/stat`), resident memory now and at its peak (`VmRSS`, `VmHWM` of
 * `/proc/<pid>/status`), and the control plane's processes found by their run directory.
 * https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html
 */

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`; 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used so far, or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces; the fields after its ")" are space-separated.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]); // field 14
  const stime = Number(fields[12]); // field 15
  return (utime + stime) / TICKS_PER_SECOND;
}

/** `VmRSS` and `VmHWM` (peak) of the process in bytes, or undefined when it is gone. */
export function memoryOf(pid: number): { rss: number; peak: number } | undefined {
  let status: string;
  try {
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return undefined;
  }
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: kib("VmRSS") * 1024, peak: kib("VmHWM") * 1024 };
}

/** PIDs whose command line contains every one of `parts` (e.g. a binary name and a run dir). */
export function findPids(...parts: string[]): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let cmdline: string;
    try {
      cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ");
    } catch {
      continue;
    }
    if (parts.every((part) => cmdline.includes(part))) found.push(Number(entry.name));
  }
  return found;
}

/** CPU seconds of named processes between `start()` and `stop()`. */
export class CpuSplit {
  readonly #pids: Record<string, number | undefined>;
  #start: Record<string, number> = {};
  #wallStart = 0;

  constructor(pids: Record<string, number | undefined>) {
    this.#pids = pids;
  }

  start(): void {
    this.#wallStart = performance.now();
    this.#start = this.#read();
  }

  /** Each process's CPU seconds since `start()`, and the wall-clock seconds. */
  stop(): { wallSeconds: number; cpuSeconds: Record<string, number> } {
    const now = this.#read();
    const cpu: Record<string, number> = {};
    for (const [name, value] of Object.entries(now)) {
      cpu[name] = Number((value - (this.#start[name] ?? 0)).toFixed(2));
    }
    return {
      wallSeconds: Number(((performance.now() - this.#wallStart) / 1000).toFixed(1)),
      cpuSeconds: cpu,
    };
  }

  #read(): Record<string, number> {
    const values: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.#pids)) {
      const seconds = pid === undefined ? undefined : cpuSeconds(pid);
      if (seconds !== undefined) values[name] = seconds;
    }
    return values;
  }
}

/**
 * The apiserver's write requests so far (`apiserver_request_total` with a writing verb), by
 * `resource[/subresource] VERB`, read from its `/metrics` with the admin token.
 */
export async function apiserverWrites(
  target: { url: string; token: string; caPem: string },
): Promise<Map<string, number>> {
  const client = Deno.createHttpClient({ caCerts: [target.caPem] });
  try {
    const response = await fetch(`${target.url}/metrics`, {
      headers: { authorization: `Bearer ${target.token}` },
      client,
    });
    const text = await response.text();
    const writes = new Map<string, number>();
    for (const line of text.split("\n")) {
      if (!line.startsWith("apiserver_request_total{")) continue;
      const labels = Object.fromEntries(
        [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
      );
      if (!["POST", "PUT", "PATCH", "APPLY", "DELETE"].includes(labels.verb ?? "")) continue;
      const key = `${labels.resource}${
        labels.subresource ? "/" + labels.subresource : ""
      } ${labels.verb}`;
      writes.set(key, (writes.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
    }
    return writes;
  } finally {
    client.close();
  }
}

/** `after - before` per key, zero differences left out. */
export function difference(
  before: Map<string, number>,
  after: Map<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of after) {
    const delta = value - (before.get(key) ?? 0);
    if (delta !== 0) out[key] = delta;
  }
  return out;
}
