/**
 * A minimal HTTP/1.1 client for tests that must choose the Host header (fetch always sends the
 * URL's authority): one request per connection, `Connection: close`, read to the end.
 */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** Sends `method path` to `base` (`http://127.0.0.1:PORT`) with `headers` (Host included). */
export async function http1(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const url = new URL(base);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  try {
    const lines = [`${options.method ?? "GET"} ${path} HTTP/1.1`, "Connection: close"];
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      lines.push(`${name}: ${value}`);
    }
    await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(16384);
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
    const split = text.indexOf("\r\n\r\n");
    const [statusLine = "", ...headerLines] = text.slice(0, split).split("\r\n");
    const headers = new Headers();
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    return { status: Number(statusLine.split(" ")[1]), headers, body: text.slice(split + 4) };
  } finally {
    conn.close();
  }
}
