import assert from "node:assert/strict";
import type { KubeObject } from "../../../api/meta.ts";
import { OFFLINE_CRDS } from "../../installed_crds.ts";
import { snapshotOf } from "../../snapshot.ts";
import { planAPIRuleV1beta1 } from "./plan.ts";

const NOW = new Date("2026-01-01T00:00:00Z");

function apiRule(rules: unknown[]): KubeObject {
  return {
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name: "shop", namespace: "shop" },
    spec: {
      host: "shop.example.com",
      gateway: "kyma-system/kyma-gateway",
      service: { name: "shop", port: 80 },
      rules,
    },
  };
}

const ISTIO_MODE: KubeObject = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "api-gateway-config", namespace: "kyma-system" },
  data: { "api-gateway-config": "jwtHandler: istio\n" },
};

function service(selector: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "shop", namespace: "shop" },
    spec: { selector },
  };
}

function plan(cr: KubeObject, extra: KubeObject[]) {
  return planAPIRuleV1beta1(cr, snapshotOf([cr, ...extra], OFFLINE_CRDS), { now: NOW });
}

type Route = {
  match: Array<{ uri: unknown; method?: { regex: string } }>;
  route: Array<{ destination: { host: string } }>;
};

Deno.test("planAPIRuleV1beta1() routes each rule of a shared path by its own methods (§17.1)", () => {
  const result = plan(
    apiRule([
      { path: "/items", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] },
      { path: "/items", methods: ["POST"], accessStrategies: [{ handler: "noop" }] },
    ]),
    [service({ app: "shop" })],
  );
  assert.equal(result.state, "Ready", result.description);
  const vs = result.apply.find((o) => o.kind === "VirtualService") as unknown as {
    spec: { http: Route[] };
  };
  assert.deepEqual(
    vs.spec.http.map((r) => [r.match[0]!.method?.regex, r.route[0]!.destination.host]),
    [
      ["^(GET)$", "shop.shop.svc.cluster.local"],
      ["^(POST)$", "ory-oathkeeper-proxy.kyma-system.svc.cluster.local"],
    ],
  );
});

Deno.test("planAPIRuleV1beta1() refuses namespace-wide policies for a Service without a selector", () => {
  const result = plan(
    apiRule([{ path: "/a", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] }]),
    [ISTIO_MODE, service({})],
  );
  assert.equal(result.state, "Error");
  assert.deepEqual(result.apply, []);
  assert.match(result.description, /no selector|label selectors are not defined/);
});

Deno.test("planAPIRuleV1beta1() ends Ready with the deprecation hint (decision 1)", () => {
  const result = plan(
    apiRule([{ path: "/a", methods: ["GET"], accessStrategies: [{ handler: "allow" }] }]),
    [service({ app: "shop" })],
  );
  assert.equal(result.state, "Ready");
  const status = result.cr?.status as { APIRuleStatus: { code: string; desc: string } };
  assert.equal(status.APIRuleStatus.code, "OK");
  assert.match(status.APIRuleStatus.desc, /v2 is recommended/);
});

Deno.test("planAPIRuleV1beta1() reads the spec of a stored object from its v1beta1-spec annotation", () => {
  const stored: KubeObject = {
    apiVersion: "gateway.kyma-project.io/v2alpha1",
    kind: "APIRule",
    metadata: {
      name: "shop",
      namespace: "shop",
      annotations: {
        "gateway.kyma-project.io/original-version": "v1beta1",
        "gateway.kyma-project.io/v1beta1-spec": JSON.stringify(
          apiRule([
            { path: "/a", methods: ["GET"], accessStrategies: [{ handler: "allow" }] },
          ]).spec,
        ),
      },
    },
    spec: { hosts: ["shop.example.com"] },
  };
  const result = plan(stored, [service({ app: "shop" })]);
  assert.equal(result.state, "Ready", result.description);
  assert.deepEqual(result.cr?.status, {
    lastProcessedTime: "2026-01-01T00:00:00Z",
    state: "Ready",
    description:
      "Reconciled successfully. APIRule v1beta1 is deprecated: version v2 is recommended",
  });
});
