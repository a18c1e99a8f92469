/**
 * Stalled clients against a listener, for the slow-client tests of `apigw serve` and
 * `apigw authz` (issue 14 #5): connections that send nothing, that stop in the middle of the
 * request head, and that stay idle on keep-alive after one answered request. Deno.serve closes
 * none of them (docs/upstream-differences.md, "Data-plane limits"); the tests show what they
 * cost: one descriptor each, and no delay for other clients.
 */

export type StallKind = "silent" | "partial-head" | "idle-keep-alive";

const KINDS: readonly StallKind[] = ["silent", "partial-head", "idle-keep-alive"];

/** `count` open connections to `port`, the kinds taking turns; `head` is a full request head. */
export async function stallConnections(
  port: number,
  count: number,
  head: string,
): Promise<Deno.Conn[]> {
  const encoder = new TextEncoder();
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(conn);
      const kind = KINDS[i % KINDS.length];
      if (kind === "partial-head") {
        // The request line and one header, never the blank line that ends the head.
        await conn.write(encoder.encode(head.slice(0, head.indexOf("\r\n", 0) + 2) + "X-Slow: 1"));
      } else if (kind === "idle-keep-alive") {
        await conn.write(encoder.encode(head));
        const answered = await conn.read(new Uint8Array(16384));
        if (answered === null) throw new Error("the keep-alive request was not answered");
      }
    }
  } catch (error) {
    for (const conn of conns) conn.close();
    throw error;
  }
  return conns;
}

/** Descriptors this process has open. */
export async function openDescriptors(): Promise<number> {
  let count = 0;
  for await (const _ of Deno.readDir("/proc/self/fd")) count++;
  return count;
}

/** The soft limit on open files (`ulimit -n`) of this process. */
export async function descriptorLimit(): Promise<number> {
  const limits = await Deno.readTextFile("/proc/self/limits");
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
  return soft === undefined || soft === "unlimited" ? Number.POSITIVE_INFINITY : Number(soft);
}

/** Durations (ms) of `n` requests made one after another; each must resolve to true. */
export async function timedRequests(
  n: number,
  request: () => Promise<boolean>,
): Promise<number[]> {
  const durations: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    if (!(await request())) throw new Error(`request ${i + 1} of ${n} failed`);
    durations.push(performance.now() - started);
  }
  return durations;
}
