/**
 * Properties of the APIRule v2 translation over thousands of random rule sets: planning never
 * throws, output is byte-for-byte deterministic, and no generated AuthorizationPolicy set lets a
 * request without a token reach a path/method that routing sends to a jwt or extAuth rule.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { KubeObject } from "../../api/meta.ts";
import type { Rule } from "../../api/apirule/v2.ts";
import { reconcileAll } from "../../core/reconcile_all.ts";
import { PLANNERS } from "../../core/planners.ts";
import { OFFLINE_CRDS } from "../../core/installed_crds.ts";
import { INGRESS_PRINCIPAL } from "../../core/apirule/labels.ts";
import type { AuthorizationPolicy, VirtualService } from "../../core/istio/types.ts";
import { toYaml } from "../../cli/output.ts";
import { decide, type ModelRequest, routeOf } from "./istio_authz_model.ts";
import { HOST, SERVICES, shopObjects } from "./_shop.ts";

const NOW = new Date("2026-01-01T00:00:00Z");
const SEGMENTS = ["a", "b", "c", "x.y"];
const METHODS = ["GET", "POST", "PUT", "DELETE"] as const;

const segment = fc.constantFrom(...SEGMENTS);
const path = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom("/*", "/", "/{**}") },
  {
    weight: 6,
    arbitrary: fc.tuple(
      fc.array(
        fc.oneof({ weight: 4, arbitrary: segment }, { weight: 1, arbitrary: fc.constant("{*}") }),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
      fc.boolean(),
    ).map(([parts, tail]) => "/" + parts.join("/") + (tail ? "/{**}" : "")),
  },
);
const methods: fc.Arbitrary<Rule["methods"]> = fc.subarray([...METHODS], { minLength: 1 });
type Access = Pick<Rule, "noAuth" | "jwt" | "extAuth">;

const jwt: fc.Arbitrary<NonNullable<Rule["jwt"]>> = fc.record({
  authentications: fc.constant([{
    issuer: "https://issuer.example.com",
    jwksUri: "https://issuer.example.com/jwks",
  }]),
  authorizations: fc.option(
    fc.array(fc.record({ audiences: fc.constant(["shop"]).map((a) => [...a]) }), { maxLength: 2 }),
    {
      nil: undefined,
    },
  ),
}).map(({ authentications, authorizations }): NonNullable<Rule["jwt"]> => ({
  authentications: authentications.map((a) => ({ ...a })),
  ...(authorizations !== undefined ? { authorizations } : {}),
}));
const access: fc.Arbitrary<Access> = fc.oneof(
  fc.constant<Access>({ noAuth: true }),
  jwt.map((j): Access => ({ jwt: j })),
  fc.boolean().chain((restricted) =>
    restricted
      ? jwt.map((j): Access => ({ extAuth: { authorizers: ["ext-authz"], restrictions: j } }))
      : fc.constant<Access>({ extAuth: { authorizers: ["ext-authz"] } })
  ),
);
const rule = fc.tuple(path, methods, access, fc.nat(SERVICES.length - 1)).map((
  [p, m, a, s],
): Rule => ({
  path: p,
  methods: m,
  ...a,
  service: { name: SERVICES[s]!.name, port: 8080 },
}));
const rules = fc.array(rule, { minLength: 1, maxLength: 5 });

function render(ruleList: Rule[]) {
  const [planned] = reconcileAll(shopObjects(ruleList), {
    planners: PLANNERS,
    crds: OFFLINE_CRDS,
    now: NOW,
  });
  return planned!.plan;
}

function requestsFor(ruleList: readonly Rule[]): fc.Arbitrary<ModelRequest[]> {
  const concrete = (p: string) =>
    fc.tuple(fc.array(segment, { maxLength: 2 }), segment).map(([many, one]) =>
      p === "/*" ? "/" + many.join("/") : p.replace("{**}", many.join("/")).replaceAll("{*}", one)
    );
  const paths = fc.oneof(
    ...ruleList.map((r) => concrete(r.path)),
    fc.array(segment, { maxLength: 3 }).map((s) => "/" + s.join("/")),
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

Deno.test("planAPIRule() never throws and renders byte-identical output for the same input", () => {
  fc.assert(
    fc.property(rules, (ruleList) => {
      const a = render(ruleList);
      const b = render(structuredClone(ruleList));
      assert.equal(toYaml([...a.apply, a.cr]), toYaml([...b.apply, b.cr]));
    }),
    { numRuns: 1500 },
  );
});

Deno.test("planAPIRule() policies never let a token-less request reach a jwt or extAuth rule", () => {
  fc.assert(
    fc.property(
      rules.chain((r) => fc.tuple(fc.constant(r), requestsFor(r))),
      ([ruleList, requests]) => {
        const plan = render(ruleList);
        if (plan.state !== "Ready") return; // rejected rule sets generate nothing
        const vs = plan.apply.find((o) => o.kind === "VirtualService") as VirtualService;
        const policies = plan.apply.filter((o) =>
          o.kind === "AuthorizationPolicy"
        ) as AuthorizationPolicy[];
        for (const request of requests) {
          const index = routeOf(vs.spec.http, request);
          if (index === -1) continue;
          const routed = ruleList[index]!;
          const service = SERVICES.find((s) => s.name === routed.service!.name)!;
          const applicable = policies.filter((p) =>
            JSON.stringify(p.spec.selector.matchLabels) === JSON.stringify(service.selector)
          );
          const decision = decide(applicable, request, INGRESS_PRINCIPAL);
          const where =
            `${request.method} ${request.path} routed to rule ${index} (${routed.path})`;
          if (routed.jwt !== undefined) {
            assert.equal(
              decision.allowedWithoutToken,
              false,
              `${where} is allowed without a token`,
            );
          }
          if (routed.extAuth !== undefined) {
            assert.ok(
              decision.customProviders.includes("ext-authz"),
              `${where} skips the external authorizer`,
            );
          }
        }
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("planAPIRule() never throws, whatever the APIRule and the objects around it hold", () => {
  const versions = [
    "gateway.kyma-project.io/v2",
    "gateway.kyma-project.io/v2alpha1",
    "gateway.kyma-project.io/v1beta1",
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...versions),
      fc.anything(),
      fc.array(
        fc.record({
          apiVersion: fc.constantFrom("v1", "networking.istio.io/v1"),
          kind: fc.constantFrom("Service", "Gateway", "ConfigMap", "Pod", "VirtualService"),
          metadata: fc.record({
            name: fc.string(),
            namespace: fc.constantFrom("shop", "kyma-system", "istio-system"),
          }),
          spec: fc.anything(),
          data: fc.anything(),
        }),
        { maxLength: 4 },
      ),
      (apiVersion, spec, others) => {
        const cr: KubeObject = {
          apiVersion,
          kind: "APIRule",
          metadata: {
            name: "shop",
            namespace: "shop",
            annotations: {
              "gateway.kyma-project.io/original-version": "v1beta1",
              "gateway.kyma-project.io/v1beta1-spec": JSON.stringify(spec) ?? "",
            },
          },
          spec,
        };
        reconcileAll([cr, ...(others as KubeObject[])], {
          planners: PLANNERS,
          crds: OFFLINE_CRDS,
          now: NOW,
        });
      },
    ),
    { numRuns: 3000 },
  );
});
