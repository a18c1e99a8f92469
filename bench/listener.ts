/**
 * What enforcing slow-client limits would cost (bench/README.md, "listener"): the same small
 * handler (a 256-byte 200 naming the Host) behind `Deno.serve`, which has no header-read or idle
 * timeout and no connection cap, and behind `node:http` with all four enforced
 * (`proxy/listener_limits.ts`), under wrk. Before measuring, it checks that the node:http
 * listener really closes a slowloris connection, an idle keep-alive one, and connections past
 * its cap, and that `Deno.serve` closes none of them.
 *
 *   deno run -A bench/listener.ts [--duration 10] [--connections 32] [--threads 1]
 */
import { parseArgs } from "node:util";
import { type ListenerLimits, serveWithLimits } from "./_node_listener.ts";
import { runWrk } from "./_wrk.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "1" },
  },
}).values;
const BODY = "x".repeat(256);
const LIMITS: ListenerLimits = {
  headersTimeoutMs: 1_000,
  requestTimeoutMs: 5_000,
  keepAliveTimeoutMs: 1_000,
  maxConnections: 200,
  checkIntervalMs: 250,
};

function handler(request: Request): Response {
  return new Response(BODY, { headers: { "x-host": request.headers.get("host") ?? "" } });
}

interface Outcome {
  /** Milliseconds until the server closed the connection; undefined: still open at the wait. */
  closedMs: number | undefined;
  /** The first line the server sent, if any. */
  answer: string | undefined;
}

/** What the server does with a connection that sent `data`, within `waitMs`. */
async function closedAfter(port: number, data: string, waitMs: number): Promise<Outcome> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const started = performance.now();
  try {
    if (data !== "") await conn.write(new TextEncoder().encode(data));
    const buffer = new Uint8Array(4096);
    let text = "";
    const timer = setTimeout(() => conn.close(), waitMs);
    const answer = () => text === "" ? undefined : text.slice(0, text.indexOf("\r\n"));
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        text += new TextDecoder().decode(buffer.subarray(0, n));
      }
      return { closedMs: Math.round(performance.now() - started), answer: answer() };
    } catch {
      // Closed by us at waitMs (the server kept it open), or reset by the server.
      return { closedMs: undefined, answer: answer() };
    } finally {
      clearTimeout(timer);
    }
  } catch {
    return { closedMs: undefined, answer: undefined };
  }
}

async function enforcement(name: string, port: number): Promise<string> {
  const wait = 4_000;
  const [slowloris, idle] = await Promise.all([
    closedAfter(port, "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: 1", wait),
    closedAfter(port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", wait),
  ]);
  const say = ({ closedMs, answer }: Outcome) =>
    (closedMs === undefined ? `open after ${wait} ms` : `closed after ${closedMs} ms`) +
    (answer === undefined ? ", unanswered" : ` (${answer})`);
  // As many silent connections as the cap allows, then one request more.
  const held: Deno.Conn[] = [];
  for (let i = 0; i < LIMITS.maxConnections; i++) {
    held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  const past = await closedAfter(
    port,
    "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    wait,
  );
  for (const conn of held) conn.close();
  return `${name}: slowloris ${say(slowloris)}; idle keep-alive ${say(idle)}; ` +
    `a request past ${LIMITS.maxConnections} open connections: ${say(past)}`;
}

async function measure(name: string, port: number): Promise<string> {
  const result = await runWrk({
    url: `http://127.0.0.1:${port}/items/42`,
    threads: args.threads,
    connections: args.connections,
    durationS: args.duration,
  });
  return `| ${name} | ${Math.round(result.rate)} | ${result.p50} | ${result.p99} |`;
}

async function main(): Promise<void> {
  const abort = new AbortController();
  const plain = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: abort.signal, onListen() {} },
    handler,
  );
  const limited = await serveWithLimits({ hostname: "127.0.0.1", port: 0 }, LIMITS, handler);
  try {
    console.log(await enforcement("Deno.serve", plain.addr.port));
    console.log(await enforcement("node:http with limits", limited.addr.port));
    const rows = [
      await measure("Deno.serve (no limits)", plain.addr.port),
      await measure("node:http, 4 limits enforced", limited.addr.port),
      await measure("Deno.serve (no limits), again", plain.addr.port),
      await measure("node:http, 4 limits enforced, again", limited.addr.port),
    ];
    console.log(
      `\nwrk -t${args.threads} -c${args.connections} -d${args.duration}s, load ${
        Deno.loadavg().map((n) => n.toFixed(1)).join(" ")
      }`,
    );
    console.log("| listener | requests/s | p50 | p99 |\n| --- | ---: | ---: | ---: |");
    console.log(rows.join("\n"));
  } finally {
    abort.abort();
    await plain.finished;
    await limited.shutdown();
  }
}

await main();
