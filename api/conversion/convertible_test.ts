import assert from "node:assert/strict";
import type { V1beta1Rule } from "./_types.ts";
import { isConvertiblePath, isFullyConvertible, strategyConversion } from "./convertible.ts";

Deno.test("isConvertiblePath() accepts exactly the v2 path grammar (§5 path condition)", async (t) => {
  const cases: [string, boolean][] = [
    ["/headers", true],
    ["/api/v1/items", true],
    ["/", true],
    ["/a%20b", true],
    ["/orders/{*}/lines", true],
    ["/static/{**}", true],
    ["/*", true],
    ["/a-b._~!$&'()+,;=:@", true],
    ["/.*", false],
    ["/api/.*", false],
    ["/items/[0-9]+", false],
    ["/api/*", false],
    ["/a b", false],
    ["/{***}", false],
    ["", false],
    ["headers", false],
  ];
  for (const [path, convertible] of cases) {
    await t.step(`${JSON.stringify(path)} → ${convertible}`, () => {
      assert.equal(isConvertiblePath(path), convertible);
    });
  }
});

Deno.test("strategyConversion() converts only no_auth, a convertible jwt and ext-auth (§5 strategy condition)", async (t) => {
  const jwtConfig = { trusted_issuers: ["https://i"], jwks_urls: ["https://k"] };
  const cases: [string, Record<string, unknown> | undefined, string | undefined][] = [
    ["no_auth", undefined, "noAuth"],
    ["jwt", jwtConfig, "jwt"],
    ["jwt", undefined, undefined],
    ["ext-auth", { authorizers: ["oauth2-proxy"] }, "extAuth"],
    ["ext-auth", undefined, undefined],
    ["allow", undefined, undefined],
    ["noop", undefined, undefined],
    ["oauth2_introspection", { required_scope: ["read"] }, undefined],
    ["oauth2_client_credentials", undefined, undefined],
    ["cookie_session", undefined, undefined],
    ["anonymous", undefined, undefined],
    ["unauthorized", undefined, undefined],
    ["unknown", undefined, undefined],
  ];
  for (const [handler, config, kind] of cases) {
    await t.step(`${handler}${config ? " with config" : ""} → ${kind ?? "not convertible"}`, () => {
      const result = strategyConversion({ handler, ...(config ? { config } : {}) }, "s");
      assert.equal(result.ok, true);
      assert.equal(result.ok ? result.value?.kind : "", kind);
    });
  }
});

const NO_AUTH = { handler: "no_auth" };
const BROKEN_JWT = { handler: "jwt", config: { authentications: "x" } };

Deno.test("isFullyConvertible() is all or nothing, walking rules in order", async (t) => {
  const cases: { name: string; rules: V1beta1Rule[]; expected: boolean | "error" }[] = [
    { name: "an empty rule list is convertible", rules: [], expected: true },
    {
      name: "all rules convertible",
      rules: [
        { path: "/a", accessStrategies: [NO_AUTH] },
        { path: "/b/{**}", accessStrategies: [NO_AUTH] },
      ],
      expected: true,
    },
    {
      name: "one allow rule makes the whole list inconvertible",
      rules: [
        { path: "/a", accessStrategies: [NO_AUTH] },
        { path: "/b", accessStrategies: [{ handler: "allow" }] },
      ],
      expected: false,
    },
    {
      name: "one regex path makes the whole list inconvertible",
      rules: [{ path: "/.*", accessStrategies: [NO_AUTH] }],
      expected: false,
    },
    {
      name: "an undecodable jwt config fails the conversion",
      rules: [{ path: "/a", accessStrategies: [BROKEN_JWT] }],
      expected: "error",
    },
    {
      name: "an undecodable config after an inconvertible path is not looked at",
      rules: [
        { path: "/.*", accessStrategies: [NO_AUTH] },
        { path: "/a", accessStrategies: [BROKEN_JWT] },
      ],
      expected: false,
    },
    {
      name: "an undecodable config after an inconvertible strategy is not looked at",
      rules: [{ path: "/a", accessStrategies: [{ handler: "noop" }, BROKEN_JWT] }],
      expected: false,
    },
    {
      name: "the path is checked before the strategies",
      rules: [{ path: "/.*", accessStrategies: [BROKEN_JWT] }],
      expected: false,
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const result = isFullyConvertible(tc.rules, "spec.rules");
      if (tc.expected === "error") {
        assert.equal(result.ok, false);
        assert.equal(
          result.ok ? "" : result.error.field,
          "spec.rules[0].accessStrategies[0].config.authentications",
        );
      } else {
        assert.deepEqual(result, { ok: true, value: tc.expected });
      }
    });
  }
});
