/**
 * Test harness of `apigw serve`: the real command, in-process, on free loopback ports, over a
 * temp config folder; a test upstream that echoes what it received and publishes the dev key's
 * JWKS; a client that reaches any virtual host through the gateway (as an HTTP proxy, so the
 * request carries that Host); raw HTTP/1.1 for request targets `fetch` would normalise.
 */
import { serveCommand } from "../../cli/serve.ts";
import { type DevKey, loadDevKey } from "../../proxy/gateway/dev_key.ts";
import { poll } from "../poll.ts";

export interface TestUpstream extends AsyncDisposable {
  port: number;
  /** Paths (with query) the upstream received, in order. */
  seen: string[];
  key: DevKey;
  stateDir: string;
}

/**
 * An upstream answering with JSON `{method, path, query, headers}`: `?delay=MS` waits first,
 * a body is echoed back; it also sends CORS headers (the route must strip them).
 */
export async function startUpstream(): Promise<TestUpstream> {
  const stateDir = await Deno.makeTempDir({ prefix: "apigw-serve-state-" });
  const key = await loadDevKey(stateDir);
  const seen: string[] = [];
  const abort = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: abort.signal,
    onListen() {},
  }, async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/.well-known/jwks.json") return Response.json({ keys: [key.publicJwk] });
    seen.push(url.pathname + url.search);
    const delay = Number(url.searchParams.get("delay") ?? 0);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const cors = { "access-control-allow-origin": "*", "x-upstream": "yes" };
    if (request.body !== null && request.method === "POST") {
      const bytes = await request.arrayBuffer();
      return new Response(`${bytes.byteLength}`, { headers: cors });
    }
    return Response.json({
      method: request.method,
      path: url.pathname,
      query: url.search,
      headers: Object.fromEntries(request.headers),
    }, { headers: cors });
  });
  return {
    port: server.addr.port,
    seen,
    key,
    stateDir,
    async [Symbol.asyncDispose]() {
      abort.abort();
      await server.finished;
      await Deno.remove(stateDir, { recursive: true });
    },
  };
}

export interface TestGateway extends AsyncDisposable {
  port: number;
  managementPort: number;
  dir: string;
  logs: string[];
  /** fetch through the gateway: `url` names the virtual host (`http://echo.test/…`). */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** Stops the gateway (SIGTERM-like) and returns its exit code. */
  stop(): Promise<number>;
}

/** Writes `files` to a temp folder and serves it. */
export async function startGateway(
  files: Record<string, string>,
  options: { args?: string[]; stateDir?: string; scheme?: "http" | "https" } = {},
): Promise<TestGateway> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-serve-config-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  const logs: string[] = [];
  const abort = new AbortController();
  const args = [
    "--config",
    dir,
    "--listen",
    "127.0.0.1:0",
    "--management-listen",
    "127.0.0.1:0",
    "--state-dir",
    options.stateDir ?? `${dir}/.state`,
    ...(options.args ?? []),
  ];
  let exited: number | undefined;
  const running = serveCommand.run(args, {
    stdout: () => {},
    stderr: (text) => logs.push(...text.split("\n").filter(Boolean)),
    env: () => undefined,
    signal: abort.signal,
  }).then((code) => exited = code);
  const started = await poll(() => {
    if (exited !== undefined) throw new Error(`apigw serve exited with ${exited}`);
    return logs.map((l) => JSON.parse(l)).find((e) => e.msg === "Serving gateway");
  }, { timeoutMs: 30_000, what: "apigw serve to listen" }).catch((error) => {
    throw new Error(`${error.message}\n${logs.join("\n")}`);
  });
  const port = Number(/:(\d+)$/.exec(started.listen)![1]);
  const managementPort = Number(/:(\d+)$/.exec(started.management)![1]);
  const scheme = options.scheme ?? "http";
  const clientOptions: Deno.CreateHttpClientOptions = {
    proxy: { url: `${scheme}://127.0.0.1:${port}` },
  };
  const client = Deno.createHttpClient(clientOptions);
  async function stop(): Promise<number> {
    abort.abort();
    const code = await running;
    client.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    return code;
  }
  return {
    port,
    managementPort,
    dir,
    logs,
    fetch: (url, init = {}) => fetch(url, { ...init, client }),
    stop,
    async [Symbol.asyncDispose]() {
      if (!abort.signal.aborted) await stop();
    },
  };
}

/** One raw HTTP/1.1 exchange (`Connection: close`); the status and the whole response text. */
export async function rawRequest(
  port: number,
  head: string,
): Promise<{ status: number; text: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(head));
    let text = "";
    const buffer = new Uint8Array(65536);
    const decoder = new TextDecoder();
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    return { status, text };
  } finally {
    conn.close();
  }
}

/** A v2 APIRule for `host` routing to Service `test/upstream` at `port` with `rules`. */
export function apiRule(
  name: string,
  target: { host: string; port: number },
  rules: unknown[],
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: { name, namespace: "test" },
    spec: {
      gateway: "kyma-system/kyma-gateway",
      hosts: [target.host],
      service: { name: "upstream", namespace: "test", port: target.port },
      rules,
      ...extra,
    },
  });
}

/** The ExternalName Service `test/upstream`: 127.0.0.1 at `port`. */
export function upstreamService(port: number, extra: { https?: boolean } = {}): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "upstream", namespace: "test", labels: { app: "upstream" } },
    spec: {
      type: "ExternalName",
      externalName: "127.0.0.1",
      ports: [{ port, ...(extra.https ? { appProtocol: "https" } : {}) }],
    },
  });
}

/** The jwt block trusting the test upstream's dev key. */
export function jwtBlock(upstreamPort: number, scopes: string[] = []) {
  return {
    authentications: [{
      issuer: "https://dev.apigw.localhost",
      jwksUri: `http://127.0.0.1:${upstreamPort}/.well-known/jwks.json`,
    }],
    ...(scopes.length > 0 ? { authorizations: [{ requiredScopes: scopes }] } : {}),
  };
}
