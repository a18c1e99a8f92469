import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { createLogger } from "../../lib/log.ts";
import { compileGateway } from "../gateway/config.ts";
import { createGatewayStore } from "../gateway/store.ts";
import type { DecisionEvent } from "../decisions.ts";
import { createDashboardApp, dashboardHosts } from "./app.ts";
import { createDryRun } from "./dry_run.ts";
import { createDecisionFeed, type DecisionFeed } from "./feed.ts";
import { describeLocalLimit, drawnBuckets, type ReloadRecord, routeRows } from "./model.ts";

const HOST = "127.0.0.1:9300";
const ORIGIN = `http://${HOST}`;
const CSRF = "test-csrf-token";
const QUICKSTART = new URL("../../examples/quickstart/", import.meta.url);
// A JWT-shaped token and other values that must never be shown.
const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtc3ViIn0.c2lnbmF0dXJlLXZhbHVl";
const COOKIE = "session=cookie-value-never-shown";
const QUERY_TOKEN = "query-token-never-shown";
const SECRET_VALUE = "secret-data-never-shown";

async function quickstartObjects(extra: unknown[] = []): Promise<unknown[]> {
  const objects: unknown[] = [...extra];
  for (const name of ["apirule.yaml", "ratelimit.yaml", "services.yaml"]) {
    const text = await Deno.readTextFile(new URL(name, QUICKSTART));
    for (const doc of parseAllDocuments(text)) objects.push(doc.toJS());
  }
  return objects;
}

const SECRET = {
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "idp-credentials", namespace: "demo" },
  data: { clientSecret: btoa(SECRET_VALUE) },
  stringData: { plain: SECRET_VALUE },
};

async function dashboard(
  options: { extra?: unknown[]; feed?: DecisionFeed; reload?: ReloadRecord } = {},
) {
  let reload: ReloadRecord | undefined = options.reload;
  const store = createGatewayStore({
    providerName: "apigw-authz",
    log: createLogger({ write: () => {} }),
    onLoad(outcome, routes, refused) {
      reload ??= { at: Date.now(), outcome, routes, refused };
    },
  });
  const objects = await quickstartObjects(options.extra);
  assert.ok(store.load(
    {
      ok: true,
      objects,
      compiled: compileGateway(objects, { providerName: "apigw-authz" }),
    } as Parameters<typeof store.load>[0],
  ));
  const extras = (rule: { id: string }) => {
    const route = store.current().routes.get(rule.id);
    return route === undefined
      ? undefined
      : { upstream: route.upstream.service, limits: route.limits.flatMap(describeLocalLimit) };
  };
  const feed = options.feed ?? createDecisionFeed({ heartbeatMs: 0 });
  const dryRun = createDryRun({
    index: () => store.current().index,
    canonical: { normalization: "BASE", escapedSlashes: "reject" },
    pipeline: { realm: "apigw", missingTokenStatus: 401 },
    limitsOf: (rule, request) =>
      drawnBuckets(store.current().routes.get(rule.id)?.limits ?? [], request),
  });
  const app = createDashboardApp({
    title: "apigw serve",
    routes: () => routeRows(store.current().index, extras),
    lastReload: () => reload,
    feed,
    dryRun,
    hosts: () => dashboardHosts({ hostname: "127.0.0.1", port: 9300 }),
    csrfToken: CSRF,
  });
  return {
    app,
    feed,
    dryRun,
    get(path: string, headers: Record<string, string> = {}) {
      return app.request(`http://${HOST}${path}`, { headers: { host: HOST, ...headers } });
    },
    explain(fields: Record<string, string>, headers: Record<string, string> = { origin: ORIGIN }) {
      return app.request(`http://${HOST}/explain`, {
        method: "POST",
        headers: {
          host: HOST,
          "content-type": "application/x-www-form-urlencoded",
          ...headers,
        },
        body: new URLSearchParams({ csrf: CSRF, method: "GET", headers: "", ...fields }),
      });
    },
    async [Symbol.asyncDispose]() {
      feed.close();
      await dryRun.close();
    },
  };
}

function event(path: string, extra: Partial<DecisionEvent> = {}): DecisionEvent {
  return {
    at: Date.now(),
    frontEnd: "serve",
    method: "GET",
    host: "echo.localhost",
    path,
    status: 200,
    reason: "forwarded",
    rule: "demo/echo#0",
    durationMs: 1.5,
    buckets: [],
    ...extra,
  };
}

Deno.test("the page lists the example's routes with methods, auth, upstream and limits", async () => {
  await using d = await dashboard();
  const response = await d.get("/");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
  const page = await response.text();
  for (const path of ["/public/{**}", "/private/{**}", "/limited"]) {
    assert.ok(page.includes(`<code>${path}</code>`), `route ${path} shown`);
  }
  assert.match(page, /<td>echo\.localhost<\/td>/);
  assert.match(page, /jwt \(https:\/\/dev\.apigw\.localhost\)/);
  assert.match(page, /demo\/echo \/limited: 3 max, \+1\/1m/);
  assert.match(page, /<span class="allow">ok<\/span>/);
  const state = await (await d.get("/api/state")).json();
  assert.deepEqual(state.routes.map((r: { rule: string }) => r.rule), [
    "demo/echo#0",
    "demo/echo#1",
    "demo/echo#2",
  ]);
  assert.equal(state.routes[0].upstream, "demo/echo:8081");
});

Deno.test("requests naming another Host are refused (DNS rebinding)", async () => {
  await using d = await dashboard();
  for (const host of ["evil.example:9300", "127.0.0.1:9301", ""]) {
    const response = await d.app.request(`http://${HOST}/`, { headers: { host } });
    assert.equal(response.status, 421, host);
    assert.equal((await response.json()).reason, "host_not_allowed");
  }
  assert.equal((await d.get("/", { host: "localhost:9300" })).status, 200);
  assert.deepEqual(dashboardHosts({ hostname: "0.0.0.0", port: 1 }), [
    "127.0.0.1:1",
    "localhost:1",
    "[::1]:1",
  ]);
});

Deno.test("the explain form refuses cross-origin posts and posts without the CSRF token", async () => {
  await using d = await dashboard();
  const url = "http://echo.localhost/public/a";
  for (
    const headers of [
      {},
      { origin: "http://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { origin: "http://127.0.0.1:9301" },
    ]
  ) {
    const response = await d.explain({ url }, headers);
    assert.equal(response.status, 403, JSON.stringify(headers));
    assert.equal((await response.json()).reason, "cross_origin");
  }
  for (const csrf of ["", "wrong-token-of-same-size", CSRF.slice(1)]) {
    const response = await d.explain({ url, csrf });
    assert.equal(response.status, 403);
    assert.equal((await response.json()).reason, "csrf_token");
  }
  const ok = await d.explain({ url }, { "sec-fetch-site": "same-origin" });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /<code id="explain-reason">no_auth<\/code>/);
  const large = await d.explain({ url, headers: "x: " + "a".repeat(20_000) });
  assert.equal(large.status, 413);
});

Deno.test("explain is a dry run: no identity provider call, limits named but not taken", async () => {
  let jwksHits = 0;
  await using jwks = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    jwksHits++;
    return Response.json({ keys: [] });
  });
  const rule = {
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: { name: "idp", namespace: "demo" },
    spec: {
      gateway: "kyma-system/kyma-gateway",
      hosts: ["idp.localhost"],
      service: { name: "echo", namespace: "demo", port: 8081 },
      rules: [{
        path: "/*",
        methods: ["GET"],
        jwt: {
          authentications: [{
            issuer: "https://idp.example",
            jwksUri: `http://127.0.0.1:${jwks.addr.port}/jwks`,
          }],
        },
      }],
    },
  };
  await using d = await dashboard({ extra: [rule] });
  // Well-formed, from the rule's issuer, with a key id: only the JWKS could refuse it.
  const part = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, "");
  const idpToken = [
    part({ alg: "RS256", kid: "k1", typ: "JWT" }),
    part({ iss: "https://idp.example", sub: "a", exp: Math.floor(Date.now() / 1000) + 600 }),
    "c2lnbmF0dXJl",
  ].join(".");
  const page = await (await d.explain({
    url: "http://idp.localhost/x",
    headers: `Authorization: Bearer ${idpToken}`,
  })).text();
  assert.match(page, /deny \(401\)/);
  assert.match(page, /Rule: <code>demo\/idp#0<\/code>/);
  assert.equal(jwksHits, 0);
  assert.ok(d.dryRun.refusedCalls() >= 1, "the JWKS fetch was refused in process");
  // Explaining the limited route many times leaves its bucket alone: the page names the limit.
  for (let i = 0; i < 5; i++) {
    const limited = await (await d.explain({ url: "http://echo.localhost/limited" })).text();
    assert.match(limited, /allow \(200\)/);
    assert.match(limited, /Would draw from \(not taken\): demo\/echo \/limited: 3 max, \+1\/1m</);
  }
  const missing = await (await d.explain({ url: "not a url" })).text();
  assert.match(missing, /URL must be http\(s\):\/\/host\/path/);
});

Deno.test("redaction: tokens, cookies, query tokens and Secret data are never shown", async (t) => {
  const feed = createDecisionFeed({ heartbeatMs: 0 });
  await using d = await dashboard({
    extra: [SECRET],
    feed,
    reload: {
      at: 0,
      outcome: "rejected",
      routes: 3,
      refused: [{
        object: "APIRule demo/x",
        field: "spec.rules[0]",
        reason: `bad value "Bearer ${TOKEN}" in http://a.example/p?access_token=${QUERY_TOKEN}`,
      }],
    },
  });
  const hidden = [TOKEN, "secret-sub", "cookie-value-never-shown", QUERY_TOKEN, SECRET_VALUE];
  const assertHidden = (text: string, where: string) => {
    for (const value of hidden) assert.ok(!text.includes(value), `${where} shows ${value}`);
    assert.ok(!text.includes(btoa(SECRET_VALUE)), `${where} shows Secret data (base64)`);
  };
  await t.step("bearer tokens", async () => {
    const page = await (await d.explain({
      url: "http://echo.localhost/private/x",
      headers: `Authorization: Bearer ${TOKEN}`,
    })).text();
    assert.match(page, /authorization \(\d+ bytes\)/);
    assertHidden(page, "explain (token)");
  });
  await t.step("cookies", async () => {
    const page = await (await d.explain({
      url: "http://echo.localhost/public/x",
      headers: `Cookie: ${COOKIE}\nX-Api-Key ${TOKEN}`,
    })).text();
    assert.match(page, /Header line 2 is not/);
    assertHidden(page, "explain (bad header line)");
    const ok = await (await d.explain({
      url: "http://echo.localhost/public/x",
      headers: `Cookie: ${COOKIE}`,
    })).text();
    assert.match(ok, /cookie \(\d+ bytes\)/);
    assertHidden(ok, "explain (cookie)");
  });
  await t.step("query tokens", async () => {
    const page = await (await d.explain({
      url: `http://echo.localhost/private/x?access_token=${TOKEN}&code=${QUERY_TOKEN}`,
    })).text();
    assert.match(page, /query parameters access_token, code \(values hidden\)/);
    assertHidden(page, "explain (query)");
  });
  await t.step("refused objects", async () => {
    const page = await (await d.get("/")).text();
    assert.match(page, /Bearer \[redacted\]/);
    assert.match(page, /\?\[query\]/);
    assertHidden(page, "page");
  });
  await t.step("Secret data in the config folder", async () => {
    assertHidden(await (await d.get("/")).text(), "page");
    assertHidden(await (await d.get("/api/state")).text(), "state");
  });
});

Deno.test("the live stream replays the ring buffer, then sends new decisions", async () => {
  const feed = createDecisionFeed({ capacity: 3, maxClients: 2, heartbeatMs: 0 });
  await using d = await dashboard({ feed });
  for (const path of ["/a", "/b", "/c", "/d"]) feed.push(event(path));
  assert.deepEqual(feed.recent().map((e) => e.path), ["/b", "/c", "/d"]);
  const response = await d.get("/events");
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const until = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
      text += value;
    }
  };
  await until(/"path":"\/d"/);
  assert.ok(!text.includes(`"path":"/a"`), "the oldest event left the ring buffer");
  feed.push(event("/live", { status: 429, reason: "rate_limited" }));
  await until(/"path":"\/live"/);
  assert.match(text, /event: decision\ndata: \{[^\n]*"reason":"rate_limited"/);
  // The cap: a second client fits, a third is refused until one leaves.
  const second = await d.get("/events");
  const third = await d.get("/events");
  assert.equal(third.status, 503);
  assert.equal((await third.json()).reason, "too_many_clients");
  await second.body!.cancel();
  assert.equal(feed.clients(), 1);
  const fourth = await d.get("/events");
  assert.equal(fourth.status, 200);
  await fourth.body!.cancel();
  await reader.cancel();
  assert.equal(feed.clients(), 0);
});

Deno.test("a client that stops reading is dropped, not buffered without bound", async () => {
  const feed = createDecisionFeed({ capacity: 4, maxClients: 1, maxQueued: 8, heartbeatMs: 0 });
  const body = feed.stream()!;
  assert.equal(feed.clients(), 1);
  for (let i = 0; i < 50; i++) feed.push(event(`/${i}`));
  assert.equal(feed.clients(), 0);
  await body.cancel();
});

Deno.test("buckets near empty: the last level seen per bucket, emptiest first", () => {
  const feed = createDecisionFeed({ heartbeatMs: 0 });
  const level = (policy: string, remaining: number) => ({ policy, remaining, maxTokens: 10 });
  feed.push(event("/x", { buckets: [level("demo/echo/0", 1), level("demo/echo/default", 9)] }));
  feed.push(event("/y", { buckets: [level("demo/other/default", 0)] }));
  assert.deepEqual(feed.lowBuckets(0.2).map((b) => b.policy), [
    "demo/other/default",
    "demo/echo/0",
  ]);
  feed.push(event("/x", { buckets: [level("demo/echo/0", 8)] }));
  assert.deepEqual(feed.lowBuckets(0.2).map((b) => b.policy), ["demo/other/default"]);
});
