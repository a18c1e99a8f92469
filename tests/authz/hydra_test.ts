/**
 * `apigw authz` introspecting tokens Ory Hydra issued: real client-credentials tokens, Hydra's
 * own RFC 7662 endpoint, Hydra's revocation. Runs where `deno task hydra:build` has built Hydra
 * (tests/hydra/build.ts; `deno task test` builds it first); skipped, saying so, elsewhere.
 */
import assert from "node:assert/strict";
import { DEBUG_HEADER } from "../../proxy/responses.ts";
import { testApp } from "../../proxy/_testing.ts";
import { apiRuleV1beta1, testClock } from "../../proxy/oathkeeper/_testing.ts";
import { cachedHydra } from "../hydra/build.ts";
import { startHydra } from "../hydra/hydra.ts";

const HYDRA = await cachedHydra();
if (HYDRA === undefined) {
  console.log(
    "hydra_test: skipped: Ory Hydra is not built here (`deno task hydra:build`, or `deno task test` builds it)",
  );
}

Deno.test({
  name:
    "oauth2_introspection against Ory Hydra: scopes per rule from one cached token, revocation within the TTL",
  ignore: HYDRA === undefined,
  async fn() {
    await using hydra = await startHydra(HYDRA!);
    const client = await hydra.createClient("orders:read orders:write");
    const token = await hydra.token(client, "orders:read");
    const clock = testClock();
    const introspection = (config: Record<string, unknown>) => ({
      handler: "oauth2_introspection",
      config: {
        introspection_url: `${hydra.adminUrl}/admin/oauth2/introspect`,
        trusted_issuers: [hydra.publicUrl],
        target_audience: ["shop"],
        cache: { ttl: "5s" },
        ...config,
      },
    });
    await using app = testApp([apiRuleV1beta1("orders", [
      { path: "/read", accessStrategies: [introspection({ required_scope: ["orders:read"] })] },
      { path: "/write", accessStrategies: [introspection({ required_scope: ["orders:write"] })] },
    ])], { now: clock.now });
    const check = async (path: string) => {
      const response = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
      await response.body?.cancel();
      return { status: response.status, debug: response.headers.get(DEBUG_HEADER) ?? "" };
    };
    const read = await check("/read");
    assert.equal(read.status, 200, read.debug);
    const write = await check("/write");
    assert.equal(write.status, 403, write.debug);
    assert.match(write.debug, /reason=insufficient_scope/);
    await hydra.revoke(client, token);
    assert.equal((await check("/read")).status, 200, "cached within the 5 s TTL");
    clock.advance(5_001);
    const revoked = await check("/read");
    assert.equal(revoked.status, 401, revoked.debug);
    assert.match(revoked.debug, /reason=token_inactive/);
  },
});
