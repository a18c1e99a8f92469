/**
 * One table of cases through both front ends of the data-plane core (STYLE §12): `apigw authz`
 * (the handler the binary serves, `createAuthzHandler`) and `apigw serve` (the real command in
 * front of a real upstream). Over the same APIRules both answer each request with the same
 * status, stable reason and challenge; an allowed request is forwarded by serve.
 */
import assert from "node:assert/strict";
import { testApp } from "../../proxy/_testing.ts";
import { apiRule, jwtBlock, startGateway, startUpstream, upstreamService } from "./_gateway.ts";

const HOST = "orders.local.kyma.dev";

interface Case {
  name: string;
  method?: string;
  path: string;
  /** `read`, `none`: a valid token with that scope / without one; `forged`: a bad signature. */
  token?: "read" | "none" | "forged" | "malformed";
  status: number;
  /** The stable reason of a deny (problem body). */
  reason?: string;
  challenge?: RegExp;
}

const CASES: Case[] = [
  { name: "noAuth allows", path: "/public/a", status: 200 },
  {
    name: "jwt without a token",
    path: "/private/a",
    status: 401,
    reason: "missing_token",
    challenge: /^Bearer realm="apigw"$/,
  },
  { name: "jwt with a token of the scope", path: "/private/a", token: "read", status: 200 },
  {
    name: "jwt with a token lacking the scope",
    path: "/private/a",
    token: "none",
    status: 403,
    reason: "insufficient_scope",
    challenge: /error="insufficient_scope"/,
  },
  {
    name: "jwt with a forged signature",
    path: "/private/a",
    token: "forged",
    status: 401,
    reason: "signature_invalid",
    challenge: /error="invalid_token"/,
  },
  {
    name: "jwt with a malformed token",
    path: "/private/a",
    token: "malformed",
    status: 401,
    reason: "malformed_token",
    challenge: /error="invalid_token"/,
  },
  {
    name: "extAuth naming another authorizer",
    path: "/ext/a",
    status: 403,
    reason: "ext_auth_not_served",
  },
  {
    name: "a method no rule allows",
    method: "DELETE",
    path: "/public/a",
    status: 404,
    reason: "no_rule_matched",
  },
  { name: "a path no rule covers", path: "/nowhere", status: 404, reason: "no_rule_matched" },
];

function rules(upstreamPort: number) {
  return [
    { path: "/public/{**}", methods: ["GET"], noAuth: true },
    { path: "/private/{**}", methods: ["GET"], jwt: jwtBlock(upstreamPort, ["read"]) },
    { path: "/ext/{**}", methods: ["GET"], extAuth: { authorizers: ["someone-else"] } },
  ];
}

Deno.test("apigw authz and apigw serve answer one case table alike", async (t) => {
  await using upstream = await startUpstream();
  const rule = apiRule("orders", { host: HOST, port: upstream.port }, rules(upstream.port));
  await using gateway = await startGateway({
    "service.json": upstreamService(upstream.port),
    "api.json": rule,
  });
  await using authz = testApp([JSON.parse(rule)], { authz: { debugHeader: false } });
  const token = async (kind: Case["token"]): Promise<Record<string, string>> => {
    if (kind === undefined) return {};
    if (kind === "malformed") return { authorization: "Bearer not-a-jwt" };
    const claims = kind === "read" ? { sub: "alice", scope: "read" } : { sub: "alice" };
    const jwt = await upstream.key.sign(claims, { ttlSeconds: 600, now: Date.now() });
    return { authorization: `Bearer ${kind === "forged" ? `${jwt.slice(0, -4)}AAAA` : jwt}` };
  };
  for (const c of CASES) {
    await t.step(c.name, async () => {
      const init = { method: c.method ?? "GET", headers: await token(c.token) };
      const answers = [
        ["authz", await authz.request(c.path, { ...init, host: HOST })],
        ["serve", await gateway.fetch(`http://${HOST}${c.path}`, init)],
      ] as const;
      for (const [front, response] of answers) {
        assert.equal(response.status, c.status, `${front}: status`);
        if (c.status === 200) {
          await response.body?.cancel();
          continue;
        }
        const body = await response.json();
        if (c.reason !== undefined) assert.equal(body.reason, c.reason, `${front}: reason`);
        const challenge = response.headers.get("www-authenticate");
        if (c.challenge === undefined) assert.equal(challenge, null, `${front}: no challenge`);
        else assert.match(challenge ?? "", c.challenge, `${front}: challenge`);
      }
    });
  }
  // serve forwarded exactly the allowed requests.
  assert.deepEqual(upstream.seen, ["/public/a", "/private/a"]);
});
