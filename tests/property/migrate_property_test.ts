/**
 * `apigw migrate` keeps decisions: random v1beta1 rule sets that the rewrite accepts decide random
 * requests alike in both versions — the v1beta1 engine over the original, the v2 pipeline over
 * the rewrite — or differ only where the rewrite declared the difference as intended.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { migrateAPIRule } from "../../core/migrate/rewrite.ts";
import { type Probe, probeTokens } from "../../core/migrate/probes.ts";
import { proveMigration } from "../../cli/migrate_proof.ts";

const JWKS = "https://idp.example.com/certs";
const ISSUER = "https://idp.example.com";
const SEGMENTS = ["a", "b", "b.c", "bXc", "%C3%A9", "x~y"];
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"] as const;

const v1Path = fc.constantFrom(
  "/.*",
  "/a/.*",
  "/a/[^/]+",
  "/a/[^/]+/b",
  "/a",
  "/b",
  "/b.c",
  "/b\\.c/.*",
  "/*",
  "/a/b",
);
const strategy = fc.constantFrom<Record<string, unknown>[]>(
  [{ handler: "allow" }],
  [{ handler: "no_auth" }],
  [{ handler: "noop" }],
  [{ handler: "jwt", config: { jwks_urls: [JWKS], trusted_issuers: [ISSUER] } }],
  [{ handler: "jwt", config: { jwks_urls: [JWKS] } }],
  [{
    handler: "jwt",
    config: { jwks_urls: [JWKS], trusted_issuers: [ISSUER], required_scope: ["read"] },
  }],
  [{
    handler: "jwt",
    config: { jwks_urls: [JWKS], trusted_issuers: [ISSUER], target_audience: ["orders"] },
  }],
);
const rule = fc.record({
  path: v1Path,
  methods: fc.uniqueArray(fc.constantFrom(...METHODS), { minLength: 1, maxLength: 3 }),
  accessStrategies: strategy,
});
const ruleSet = fc.array(rule, { minLength: 1, maxLength: 4 });
const requestPath = fc.array(fc.constantFrom(...SEGMENTS), { minLength: 0, maxLength: 3 })
  .chain((parts) => fc.boolean().map((slash) => `/${parts.join("/")}${slash ? "/" : ""}`));
const request = fc.record({
  method: fc.constantFrom(...METHODS),
  path: requestPath,
  token: fc.nat(),
});

Deno.test("migrate: accepted rewrites decide random requests as v1beta1 did, or as declared", async () => {
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(
      ruleSet,
      fc.array(request, { minLength: 20, maxLength: 40 }),
      async (rules, requests) => {
        const source = {
          apiVersion: "gateway.kyma-project.io/v1beta1",
          kind: "APIRule",
          metadata: { name: "orders", namespace: "shop" },
          spec: {
            host: "orders.example.com",
            gateway: "kyma-system/kyma-gateway",
            service: { name: "orders", port: 8080 },
            rules,
          },
        };
        const migrated = migrateAPIRule(source, {
          issuers: new Map([[JWKS, ISSUER]]),
          providerName: "apigw-authz",
          pureIstio: false,
        });
        if (!migrated.ok) return;
        accepted++;
        const tokens = probeTokens(migrated.value);
        const probes: Probe[] = requests.map((r) => {
          const token = r.token % (tokens.length + 1) === tokens.length
            ? undefined
            : tokens[r.token % (tokens.length + 1)];
          const target = token?.at.kind === "param" ? `${r.path}?${token.at.name}=TOKEN` : r.path;
          return {
            method: r.method,
            path: target,
            tags: [
              ...(r.path.includes("bXc") ? ["narrowed-dot" as const] : []),
              ...(token?.tags ?? []),
            ],
            ...(token !== undefined ? { token } : {}),
          };
        });
        const proof = await proveMigration(migrated.value, { probes });
        const unintended = proof.differences.filter((d) => d.intended === undefined);
        assert.deepEqual(unintended, [], JSON.stringify(migrated.value.v2.spec));
      },
    ),
    { numRuns: 40 },
  );
  // The generator is useless if the rewrite refuses (nearly) everything.
  assert.ok(accepted >= 10, `only ${accepted} of 40 rule sets were migrated`);
});
