/**
 * Test fixtures for v1beta1 access strategies: APIRule v1beta1 objects and a tiny RFC 7662
 * introspection endpoint (a real `Deno.serve` on a free loopback port) that requires client
 * authentication, knows a set of tokens, can revoke them and can misbehave (errors, hangs,
 * 429, oversized answers). It counts every introspection it answers.
 */

export type IntrospectionMode = "ok" | "error" | "hang" | "rate_limited" | "huge" | "html";

export interface TestIntrospection extends AsyncDisposable {
  readonly url: string;
  /** Introspection calls answered (any status). */
  readonly calls: number;
  /** The last request's form body and headers. */
  readonly last: { body: URLSearchParams; headers: Headers } | undefined;
  mode: IntrospectionMode;
  /** Registers `token` as active with `claims`. */
  issue(token: string, claims?: Record<string, unknown>): void;
  /** The token is inactive from now on. */
  revoke(token: string): void;
}

export const CLIENT = { id: "apigw", secret: "s3cret:&" };

/** Starts the endpoint; it accepts Basic or form-post credentials of `CLIENT`, or `Bearer cc-token`. */
export function startIntrospection(): TestIntrospection {
  const tokens = new Map<string, Record<string, unknown>>();
  let calls = 0;
  let last: TestIntrospection["last"];
  const closing = new AbortController();
  const closed = new Promise<void>((resolve) =>
    closing.signal.addEventListener("abort", () => resolve())
  );
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/token") {
      const basic = request.headers.get("authorization");
      await request.body?.cancel();
      return basic === `Basic ${btoa(`${CLIENT.id}:${encodeURIComponent(CLIENT.secret)}`)}`
        ? Response.json({ access_token: "cc-token", token_type: "bearer", expires_in: 300 })
        : Response.json({ error: "invalid_client" }, { status: 401 });
    }
    calls++;
    const body = new URLSearchParams(await request.text());
    last = { body, headers: request.headers };
    switch (endpoint.mode) {
      case "error":
        return new Response("down", { status: 502 });
      case "hang":
        await closed;
        return new Response("closed", { status: 503 });
      case "rate_limited":
        return new Response("slow down", { status: 429, headers: { "retry-after": "3" } });
      case "huge":
        return Response.json({ active: true, padding: "x".repeat(300 * 1024) });
      case "html":
        return new Response("<html></html>", { headers: { "content-type": "text/html" } });
    }
    if (!authenticated(request.headers, body)) {
      return Response.json({ error: "invalid_client" }, { status: 401 });
    }
    const claims = tokens.get(body.get("token") ?? "");
    return Response.json(claims === undefined ? { active: false } : { active: true, ...claims });
  });
  const endpoint: TestIntrospection = {
    url: `http://127.0.0.1:${server.addr.port}/introspect`,
    get calls() {
      return calls;
    },
    get last() {
      return last;
    },
    mode: "ok",
    issue: (token, claims = {}) => void tokens.set(token, claims),
    revoke: (token) => void tokens.delete(token),
    async [Symbol.asyncDispose]() {
      closing.abort();
      await server.shutdown();
    },
  };
  return endpoint;
}

function authenticated(headers: Headers, body: URLSearchParams): boolean {
  const auth = headers.get("authorization");
  if (auth === "Bearer cc-token") return true;
  if (auth?.startsWith("Basic ")) {
    const [id, secret] = atob(auth.slice(6)).split(":").map((p) =>
      decodeURIComponent(p.replace(/\+/g, " "))
    );
    return id === CLIENT.id && secret === CLIENT.secret;
  }
  return body.get("client_id") === CLIENT.id && body.get("client_secret") === CLIENT.secret;
}

/** An APIRule v1beta1 for `host` (default `orders.local.kyma.dev`) with `rules`. */
export function apiRuleV1beta1(
  name: string,
  rules: Array<{
    path: string;
    methods?: string[];
    accessStrategies: Array<{ handler: string; config?: Record<string, unknown> }>;
    mutators?: Array<{ handler: string; config?: Record<string, unknown> }>;
  }>,
  options: { host?: string } = {},
): Record<string, unknown> {
  return {
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name, namespace: "default" },
    spec: {
      host: options.host ?? "orders.local.kyma.dev",
      gateway: "kyma-system/kyma-gateway",
      service: { name: "orders", port: 8080 },
      rules: rules.map((r) => ({ methods: ["GET"], ...r })),
    },
  };
}

/** A controllable clock starting now. */
export function testClock(): { now: () => number; advance(ms: number): void } {
  let at = Date.now();
  return { now: () => at, advance: (ms) => void (at += ms) };
}
