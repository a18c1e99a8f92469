/**
 * A measurement probe, not a server: how much of a gRPC Check's cost is Deno's `node:http2`.
 * Two servers answer `envoy.service.auth.v3.Authorization/Check` with the same work (the
 * CheckRequest decoded and a canned CheckResponse encoded with proto-loader's codecs, no
 * decision), loaded in turn by ghz like `bench/grpc_authz.ts`:
 *
 * - apigw's thin gRPC server on `node:http2` (`proxy/grpc/node_unary_server.ts`, the fallback);
 * - the same server on apigw's own HTTP/2 layer (`proxy/grpc/h2/`, what apigw serves);
 * - a minimal h2c loop over `Deno.listen` written here: preface, SETTINGS/PING acks, HEADERS and
 *   CONTINUATION through an HPACK decoder (Huffman, dynamic table), DATA with WINDOW_UPDATE,
 *   RST_STREAM, and every frame of one read answered in one `write`.
 *
 * The probe is NOT hardened (no limits, no validation of hostile framing, no send-side flow
 * control): it bounds what an HTTP/2 layer of apigw's own could gain, nothing more.
 *
 *   deno run -A bench/h2_probe.ts [--duration 5] [--concurrency 32] [--bin ~/.cache/apigw-bench]
 */
import { ghzRow, runGhz } from "./_ghz.ts";
import { loadFileDescriptorSetFromBuffer } from "@grpc/proto-loader";
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import { createLogger } from "../lib/log.ts";
import { startUnaryServer } from "../proxy/grpc/unary_server.ts";
import { HUFFMAN_CODES, HUFFMAN_LENGTHS, STATIC_TABLE } from "../proxy/grpc/h2/hpack_tables.ts";

const PROTOSET = new URL("../proxy/grpc/envoy.protoset", import.meta.url).pathname;
const args = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "5" },
    concurrency: { type: "string", default: "32" },
    bin: { type: "string", default: `${Deno.env.get("HOME")}/.cache/apigw-bench` },
  },
}).values;

/** The Huffman decoding tree. */
type Node = { 0?: Node; 1?: Node; sym?: number };
const root: Node = {};
for (let sym = 0; sym < 256; sym++) {
  const code = HUFFMAN_CODES[sym]!, len = HUFFMAN_LENGTHS[sym]!;
  let n = root;
  for (let i = len - 1; i >= 0; i--) {
    const bit = ((code >>> i) & 1) as 0 | 1;
    n = n[bit] ??= {};
  }
  n.sym = sym;
}
function huffman(b: Uint8Array): string {
  let out = "";
  let n = root;
  for (const byte of b) {
    for (let i = 7; i >= 0; i--) {
      n = n[((byte >> i) & 1) as 0 | 1]!;
      if (n === undefined) throw new Error("bad huffman");
      if (n.sym !== undefined) {
        out += String.fromCharCode(n.sym);
        n = root;
      }
    }
  }
  return out;
}
class Hpack {
  dyn: [string, string][] = [];
  size = 0;
  max = 4096;
  get(i: number): [string, string] {
    if (i <= 61) return STATIC_TABLE[i - 1]! as [string, string];
    const e = this.dyn[i - 62];
    if (!e) throw new Error("bad index");
    return e;
  }
  add(e: [string, string]) {
    this.dyn.unshift(e);
    this.size += e[0].length + e[1].length + 32;
    while (this.size > this.max) {
      const x = this.dyn.pop()!;
      this.size -= x[0].length + x[1].length + 32;
    }
  }
  decode(b: Uint8Array): Map<string, string> {
    const h = new Map<string, string>();
    let p = 0;
    const int = (prefix: number) => {
      const mask = (1 << prefix) - 1;
      let v = b[p++]! & mask;
      if (v < mask) return v;
      let m = 0;
      for (;;) {
        const x = b[p++]!;
        v += (x & 127) << m;
        m += 7;
        if (!(x & 128)) return v;
      }
    };
    const str = () => {
      const huff = b[p]! & 128;
      const len = int(7);
      const s = b.subarray(p, p + len);
      p += len;
      return huff ? huffman(s) : String.fromCharCode(...s);
    };
    while (p < b.length) {
      const x = b[p]!;
      if (x & 128) {
        const [n, v] = this.get(int(7));
        h.set(n, v);
      } else if (x & 64) {
        const i = int(6);
        const n = i ? this.get(i)[0] : str();
        const v = str();
        this.add([n, v]);
        h.set(n, v);
      } else if (x & 32) {
        this.max = int(5);
      } else {
        const i = int(4);
        const n = i ? this.get(i)[0] : str();
        h.set(n, str());
      }
    }
    return h;
  }
}

const defs = loadFileDescriptorSetFromBuffer(
  Buffer.from(await Deno.readFile(PROTOSET)),
  { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true },
);
// deno-lint-ignore no-explicit-any
const check = (defs["envoy.service.auth.v3.Authorization"] as any).Check;
const RESPONSE = {
  status: { code: 0 },
  ok_response: { headers: [], response_headers_to_add: [] },
  dynamic_metadata: { fields: [{ key: "reason", value: { string_value: "no_auth" } }] },
};
function handle(body: Uint8Array): Uint8Array {
  const req = check.requestDeserialize(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  if (!req.attributes) throw new Error("no attrs");
  return check.responseSerialize(RESPONSE);
}

const enc = new TextEncoder();
function frame(type: number, flags: number, stream: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(9 + payload.length);
  f[0] = payload.length >> 16;
  f[1] = payload.length >> 8;
  f[2] = payload.length;
  f[3] = type;
  f[4] = flags;
  new DataView(f.buffer).setUint32(5, stream);
  f.set(payload, 9);
  return f;
}
const lit = (name: string, value: string) => {
  const n = enc.encode(name), v = enc.encode(value);
  return [0, n.length, ...n, v.length, ...v];
};
const RESP_HEADERS = new Uint8Array([0x88, ...lit("content-type", "application/grpc")]);
const TRAILERS = new Uint8Array(lit("grpc-status", "0"));

async function serveConn(conn: Deno.Conn) {
  const hp = new Hpack();
  let buf = new Uint8Array(0);
  let preface = false;
  const streams = new Map<number, Uint8Array[]>();
  const out: Uint8Array[] = [];
  out.push(frame(4, 0, 0, new Uint8Array(0)));
  const read = new Uint8Array(65536);
  let headerBlock: Uint8Array[] | null = null;
  let headerStream = 0;
  let headerEnd = false;
  for (;;) {
    const n = await conn.read(read);
    if (n === null) break;
    const joined = new Uint8Array(buf.length + n);
    joined.set(buf);
    joined.set(read.subarray(0, n), buf.length);
    buf = joined;
    let p = 0;
    if (!preface) {
      if (buf.length < 24) continue;
      p = 24;
      preface = true;
    }
    let received = 0;
    while (buf.length - p >= 9) {
      const len = (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!;
      if (buf.length - p < 9 + len) break;
      const type = buf[p + 3]!, flags = buf[p + 4]!;
      const sid = new DataView(buf.buffer, buf.byteOffset + p + 5).getUint32(0) & 0x7fffffff;
      let payload = buf.subarray(p + 9, p + 9 + len);
      p += 9 + len;
      if (type === 1 || type === 9) {
        if (type === 1) {
          if (flags & 8) payload = payload.subarray(1, payload.length - payload[0]!);
          if (flags & 0x20) payload = payload.subarray(5);
          headerBlock = [payload];
          headerStream = sid;
          headerEnd = (flags & 1) !== 0;
          streams.set(sid, []);
        } else headerBlock!.push(payload);
        if (flags & 4) {
          const block = headerBlock!.length === 1 ? headerBlock![0]! : Buffer.concat(headerBlock!);
          hp.decode(block);
          headerBlock = null;
          if (headerEnd) streams.delete(headerStream);
        }
      } else if (type === 0) {
        let data = payload;
        if (flags & 8) data = data.subarray(1, data.length - data[0]!);
        received += len;
        const chunks = streams.get(sid);
        if (chunks) {
          chunks.push(data.slice());
          if (flags & 1) {
            streams.delete(sid);
            const body = Buffer.concat(chunks);
            const msg = handle(body.subarray(5));
            const m = new Uint8Array(5 + msg.length);
            new DataView(m.buffer).setUint32(1, msg.length);
            m.set(msg, 5);
            out.push(
              frame(1, 4, sid, RESP_HEADERS),
              frame(0, 0, sid, m),
              frame(1, 5, sid, TRAILERS),
            );
          } else if (len > 0) {
            const w = new Uint8Array(4);
            new DataView(w.buffer).setUint32(0, len);
            out.push(frame(8, 0, sid, w));
          }
        }
      } else if (type === 4) {
        if (!(flags & 1)) out.push(frame(4, 1, 0, new Uint8Array(0)));
      } else if (type === 6) {
        if (!(flags & 1)) out.push(frame(6, 1, 0, payload.slice()));
      } else if (type === 3) streams.delete(sid);
      else if (type === 7) {
        conn.close();
        return;
      }
    }
    buf = buf.slice(p);
    if (received > 0) {
      const w = new Uint8Array(4);
      new DataView(w.buffer).setUint32(0, received);
      out.push(frame(8, 0, 0, w));
    }
    if (out.length) {
      const all = out.length === 1 ? out[0]! : Buffer.concat(out);
      out.length = 0;
      try {
        await conn.write(all);
      } catch {
        break;
      }
    }
  }
  try {
    conn.close();
  } catch { /* closed */ }
}

const CHECK = {
  attributes: {
    source: { address: { socketAddress: { address: "10.0.0.1", portValue: 40000 } } },
    request: {
      http: {
        method: "GET",
        host: "orders.bench.local",
        path: "/public/orders/42?page=1",
        scheme: "https",
        protocol: "HTTP/1.1",
        headers: {
          ":authority": "orders.bench.local",
          ":method": "GET",
          ":path": "/public/orders/42?page=1",
          "user-agent": "curl/8.5.0",
          accept: "*/*",
          "x-request-id": "4b8a0d6e-1c2f-4c11-9a0b-7f0c0e1d2a3b",
        },
      },
    },
  },
};

function ghz(port: number): Promise<Record<string, unknown>> {
  return runGhz({
    bin: args.bin,
    protoset: PROTOSET,
    call: "envoy.service.auth.v3.Authorization.Check",
    data: JSON.stringify(CHECK),
    concurrency: args.concurrency,
    duration: args.duration,
    address: `127.0.0.1:${port}`,
  });
}

if (import.meta.main) {
  const rows: string[] = [];
  for (const http2 of ["node", "apigw"] as const) {
    const thin = await startUnaryServer({
      hostname: "127.0.0.1",
      port: 0,
      methods: new Map([["/envoy.service.auth.v3.Authorization/Check", {
        decode: (bytes: Uint8Array) => bytes,
        encode: (bytes: unknown) => bytes as Uint8Array,
        handle: (bytes: unknown) => ({ ok: true as const, message: handle(bytes as Uint8Array) }),
      }]]),
      maxMessageBytes: 1 << 20,
      http2,
      log: createLogger({ level: "error" }),
    });
    rows.push(
      ghzRow(
        `thin server on ${http2 === "node" ? "node:http2" : "apigw's h2 (proxy/grpc/h2)"}`,
        await ghz(thin.port),
      ),
    );
    await thin.close(0);
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) serveConn(conn).catch(() => {});
  })();
  rows.push(ghzRow("probe h2c loop on Deno.listen", await ghz(listener.addr.port)));
  listener.close();
  await accepting.catch(() => {});
  console.log(`\n${args.duration} s each, ${args.concurrency} concurrent calls, 4 connections`);
  console.log("| server | calls/s | p50 | p99 | codes |\n| --- | ---: | ---: | ---: | --- |");
  for (const line of rows) console.log(line);
}
