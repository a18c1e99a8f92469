/**
 * The embedded gateway decides like the rendered Istio config, over tens of thousands of random
 * rule sets: for every (host, method, path) the rule `apigw serve` picks is the VirtualService
 * route Istio takes, and whether a token-less request is let through by the gateway's pipeline
 * is what the rendered AuthorizationPolicies (CUSTOM, then ALLOW) decide for it.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Rule } from "../../api/apirule/v2.ts";
import { reconcileAll } from "../../core/reconcile_all.ts";
import { PLANNERS } from "../../core/planners.ts";
import { OFFLINE_CRDS } from "../../core/installed_crds.ts";
import { INGRESS_PRINCIPAL } from "../../core/apirule/labels.ts";
import type { AuthorizationPolicy, VirtualService } from "../../core/istio/types.ts";
import { compileGateway } from "../../proxy/gateway/config.ts";
import { decideRule, DEFAULT_PIPELINE_OPTIONS } from "../../proxy/pipeline.ts";
import type { TokenVerifier } from "../../proxy/jwt/verifier.ts";
import { decide as istio, type ModelRequest, routeOf } from "./istio_authz_model.ts";
import { HOST, SERVICES, shopObjects } from "./_shop.ts";

const NOW = new Date("2026-01-01T00:00:00Z");
const SEGMENTS = ["a", "b", "a.b", "x~y", "%20", "c-d", "e$f"];
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"] as const;
const JWT = {
  authentications: [{
    issuer: "https://issuer.example.com",
    jwksUri: "https://issuer.example.com/jwks",
  }],
};

const segment = fc.constantFrom(...SEGMENTS);
const path = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom("/*", "/", "/{**}", "/{*}") },
  {
    weight: 8,
    arbitrary: fc.tuple(
      fc.array(
        fc.oneof({ weight: 4, arbitrary: segment }, { weight: 1, arbitrary: fc.constant("{*}") }),
        { minLength: 1, maxLength: 3 },
      ),
      fc.boolean(),
      fc.boolean(),
    ).map(([parts, tail, slash]) =>
      "/" + parts.join("/") + (tail ? "/{**}" : "") + (slash && !tail ? "/" : "")
    ),
  },
);
type Access = Pick<Rule, "noAuth" | "jwt" | "extAuth">;
const access: fc.Arbitrary<Access> = fc.constantFrom<Access>(
  { noAuth: true },
  { jwt: JWT },
  { extAuth: { authorizers: ["ext-authz"] } },
  { extAuth: { authorizers: ["ext-authz"], restrictions: JWT } },
);
const rule = fc.tuple(path, fc.subarray([...METHODS], { minLength: 1 }), access, fc.nat(1))
  .map(([p, m, a, s]): Rule => ({
    path: p,
    methods: m,
    ...structuredClone(a),
    service: { name: SERVICES[s]!.name, port: 8080 },
  }));
const rules = fc.array(rule, { minLength: 1, maxLength: 5 });

function requestsFor(ruleList: readonly Rule[]): fc.Arbitrary<ModelRequest[]> {
  const concrete = (p: string) =>
    fc.tuple(fc.array(segment, { maxLength: 3 }), segment).map(([many, one]) =>
      p === "/*" ? "/" + many.join("/") : p.replace("{**}", many.join("/")).replaceAll("{*}", one)
    );
  const paths = fc.oneof(
    ...ruleList.map((r) => concrete(r.path)),
    fc.tuple(fc.array(segment, { maxLength: 4 }), fc.boolean()).map(([s, slash]) =>
      "/" + s.join("/") + (slash && s.length > 0 ? "/" : "")
    ),
  );
  return fc.array(
    fc.tuple(paths, fc.constantFrom(...METHODS)).map(([p, m]) => ({
      host: HOST,
      method: m,
      path: p,
    })),
    { minLength: 1, maxLength: 12 },
  );
}

const NO_VERIFIER: TokenVerifier = {
  cached: () => undefined,
  verify: () => Promise.reject(new Error("no token is ever sent here")),
};

Deno.test("apigw serve matches and decides every request as the rendered Istio config", () => {
  let compared = 0;
  fc.assert(
    fc.property(
      rules.chain((r) => fc.tuple(fc.constant(r), requestsFor(r))),
      ([ruleList, requests]) => {
        const [planned] = reconcileAll(shopObjects(ruleList, "mesh"), {
          planners: PLANNERS,
          crds: OFFLINE_CRDS,
          now: NOW,
        });
        const plan = planned!.plan;
        const embedded = compileGateway(shopObjects(ruleList, "external"), {
          providerName: "apigw-authz",
        });
        if (plan.state !== "Ready") {
          // A rule set the operator rejects is not served by the gateway either.
          assert.equal(embedded.config.routes.size, 0, "rejected by render, served embedded");
          return;
        }
        assert.deepEqual(embedded.problems, []);
        const vs = plan.apply.find((o) => o.kind === "VirtualService") as VirtualService;
        const policies = plan.apply.filter((o) =>
          o.kind === "AuthorizationPolicy"
        ) as AuthorizationPolicy[];
        for (const request of requests) {
          const routed = routeOf(vs.spec.http, request);
          const matched = embedded.config.index.match(request);
          const where = `${request.method} ${request.path} (rules ${
            ruleList.map((r) => `${r.methods.join("|")} ${r.path}`).join(", ")
          })`;
          assert.equal(matched?.index ?? -1, routed, `${where}: route`);
          compared++;
          if (matched === undefined) continue;
          const service = SERVICES.find((s) => s.name === ruleList[routed]!.service!.name)!;
          const mesh = istio(
            policies.filter((p) =>
              JSON.stringify(p.spec.selector.matchLabels) === JSON.stringify(service.selector)
            ),
            request,
            INGRESS_PRINCIPAL,
          );
          // The gateway decides the rule its routing matched (proxy/gateway/handler.ts).
          const outcome = decideRule(matched, {
            request: { ...request, query: "" },
            headers: new Headers(),
          }, {
            verifier: NO_VERIFIER,
            options: DEFAULT_PIPELINE_OPTIONS,
          });
          assert.ok(!(outcome instanceof Promise), `${where}: no remote work without a token`);
          const meshLetsThrough = mesh.allowedWithoutToken && mesh.customProviders.length === 0;
          assert.equal(outcome.decision.allow, meshLetsThrough, `${where}: decision`);
        }
      },
    ),
    { numRuns: 20_000 },
  );
  assert.ok(compared > 50_000, `compared ${compared} requests`);
});
