/**
 * Issue 14 acceptance: one case table (`cases.ts`) through both front ends, `apigw authz` over
 * its HTTP ext_authz listener and `apigw serve` over its gateway listener with a real upstream,
 * each a real child process over the same objects. Both must give each row's decision and reason
 * at the authentication and rate-limit steps; rows naming a per-mode answer say why. Issue 15 B:
 * the gRPC ext_authz listener of the same `apigw authz` (`--grpc-listen`) decides each row as
 * its HTTP check does.
 */
import assert from "node:assert/strict";
import { startIdp, type TestIdp } from "../authz/idp.ts";
import { CASES, expected, type FrontEnd as Mode, objects, RUN_KEYS, TOKENS } from "./cases.ts";
import {
  configFolder,
  type FrontEnd,
  startAuthzFrontEnd,
  startServeFrontEnd,
  startUpstream,
} from "./_front_ends.ts";

/** A loopback port that was free a moment ago and that nothing listens on now. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

async function signTokens(idp: TestIdp, other: TestIdp): Promise<Record<string, string>> {
  const now = Math.floor(Date.now() / 1000);
  const tokens: Record<string, string> = {};
  for (const [name, spec] of Object.entries(TOKENS)) {
    const claims = { ...spec.claims, iat: now - 10, exp: now + spec.expiresIn };
    const issuer = spec.other ? other : idp;
    tokens[name] = spec.unknownKey ? await issuer.signUnknown(claims) : await issuer.sign(claims);
  }
  return tokens;
}

async function runTable(
  t: Deno.TestContext,
  mode: Mode,
  frontEnd: FrontEnd,
  tokens: Record<string, string>,
): Promise<void> {
  const values = { ...tokens };
  for (const key of RUN_KEYS) values[key] = crypto.randomUUID();
  for (const c of CASES) {
    const want = expected(c, mode);
    const ok = await t.step(c.name, async () => {
      const got = await frontEnd.send(c, values);
      assert.deepEqual(
        { status: got.status, reason: got.reason },
        want,
        `${mode}: ${c.name}${c.modes?.[mode] ? ` (differs: ${c.modes.why})` : ""}\n${got.head}`,
      );
      // serve forwards what it allows (a preflight it answers itself); authz answers checks.
      if (mode === "serve") {
        const forwarded = want.status === 200 && want.reason !== "cors_preflight";
        assert.equal(got.upstream, forwarded, "reached the upstream");
      }
    });
    if (!ok) console.error(JSON.stringify(frontEnd.logs.slice(-5)));
  }
}

/** Runs the table through both front ends over one set of objects, with `args` for both. */
async function bothFrontEnds(t: Deno.TestContext, args: string[]): Promise<void> {
  await using idp = await startIdp();
  await using other = await startIdp();
  await using upstream = startUpstream();
  await using folder = await configFolder(objects({
    issuer: idp.issuer,
    jwksUri: idp.jwksUri,
    otherIssuer: other.issuer,
    otherJwksUri: other.jwksUri,
    upstreamPort: upstream.addr.port,
    closedPort: closedPort(),
    podIP: "127.0.0.1",
  }));
  const tokens = await signTokens(idp, other);
  await using authz = await startAuthzFrontEnd(folder.dir, args);
  await using serve = await startServeFrontEnd(folder.dir, args);
  await t.step("apigw authz (HTTP ext_authz)", (t) => runTable(t, "authz", authz, tokens));
  await t.step(
    "apigw authz (gRPC ext_authz, header_map)",
    (t) => runTable(t, "grpc", authz.grpc("header_map"), tokens),
  );
  await t.step(
    "apigw authz (gRPC ext_authz, headers map)",
    (t) => runTable(t, "grpc", authz.grpc("headers"), tokens),
  );
  await t.step("apigw serve", (t) => runTable(t, "serve", serve, tokens));
}

Deno.test("one case table: apigw authz (HTTP, gRPC) and apigw serve decide alike (issue 14, 15)", async (t) => {
  await bothFrontEnds(t, []);
});

const REDIS_URL = Deno.env.get("APIGW_TEST_REDIS_URL");

Deno.test({
  name: "one case table: alike with global limits in Redis (deno task test)",
  ignore: REDIS_URL === undefined,
  fn: (t) => bothFrontEnds(t, ["--redis-url", REDIS_URL!]),
});

Deno.test("the case table names why a front end differs, and differs only there", () => {
  for (const c of CASES) {
    if (c.modes === undefined) continue;
    assert.ok(c.modes.why.length > 0, c.name);
    for (const mode of ["authz", "serve", "grpc"] as const) {
      const own = c.modes[mode];
      if (own !== undefined) assert.notDeepEqual(own, c.expect, `${c.name}: ${mode} override`);
    }
  }
  const names = CASES.map((c) => c.name);
  assert.equal(new Set(names).size, names.length, "case names are unique");
});
