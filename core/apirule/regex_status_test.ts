/**
 * The operator's APIRule status for author regexes RE2 refuses (issue 14): the planners the
 * controllers run end in Error with the field and the exact reason, and apply nothing.
 */
import assert from "node:assert/strict";
import type { KubeObject } from "../../api/meta.ts";
import { OFFLINE_CRDS } from "../installed_crds.ts";
import { snapshotOf } from "../snapshot.ts";
import { planAPIRuleV2 } from "./plan_v2.ts";
import { planAPIRuleV1beta1 } from "./v1beta1/plan.ts";

const NOW = new Date("2026-01-01T00:00:00Z");

const GATEWAY: KubeObject = {
  apiVersion: "networking.istio.io/v1",
  kind: "Gateway",
  metadata: { name: "kyma-gateway", namespace: "kyma-system" },
  spec: { servers: [{ hosts: ["*.example.com"], port: { protocol: "HTTPS" } }] },
};

const SERVICE: KubeObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "shop", namespace: "shop" },
  spec: { selector: { app: "shop" } },
};

Deno.test("planAPIRuleV1beta1() ends Error for a path RE2 refuses, and serves a catastrophic one", () => {
  const cr = (path: string): KubeObject => ({
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name: "shop", namespace: "shop" },
    spec: {
      host: "shop.example.com",
      gateway: "kyma-system/kyma-gateway",
      service: { name: "shop", port: 80 },
      rules: [{ path, methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] }],
    },
  });
  const plan = (object: KubeObject) =>
    planAPIRuleV1beta1(object, snapshotOf([object, GATEWAY, SERVICE], OFFLINE_CRDS), { now: NOW });
  const refused = plan(cr("/a(?!b)"));
  assert.equal(refused.state, "Error");
  assert.deepEqual(refused.apply, []);
  const status = refused.cr?.status as { APIRuleStatus: { code: string; desc: string } };
  assert.equal(status.APIRuleStatus.code, "ERROR");
  assert.equal(
    status.APIRuleStatus.desc,
    'Validation error: Attribute ".spec.rules[0].path": "/a(?!b)" is not a valid RE2 regular ' +
      "expression: invalid or unsupported Perl syntax: `(?!`",
  );
  assert.equal(plan(cr("/api/(a+)+/x")).state, "Ready");
});

Deno.test("planAPIRuleV2() ends Error for a CORS allowOrigins regex RE2 refuses", () => {
  const cr: KubeObject = {
    apiVersion: "gateway.kyma-project.io/v2",
    kind: "APIRule",
    metadata: { name: "shop", namespace: "shop" },
    spec: {
      hosts: ["shop.example.com"],
      gateway: "kyma-system/kyma-gateway",
      service: { name: "shop", port: 80 },
      corsPolicy: { allowOrigins: [{ regex: "https://(x)\\1" }] },
      rules: [{ path: "/a", methods: ["GET"], noAuth: true }],
    },
  };
  const result = planAPIRuleV2(cr, snapshotOf([cr, GATEWAY, SERVICE], OFFLINE_CRDS), { now: NOW });
  assert.equal(result.state, "Error");
  assert.equal(
    result.description,
    "Validation errors: Attribute '.spec.corsPolicy.allowOrigins[0].regex': " +
      '"https://(x)\\\\1" is not a valid RE2 regular expression: invalid escape sequence: `\\1`',
  );
});
