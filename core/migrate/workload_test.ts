import assert from "node:assert/strict";
import type { APIRuleSpecV1beta1 } from "../../api/apirule/v1beta1.ts";
import {
  INGRESS_PRINCIPAL,
  OATHKEEPER_PRINCIPAL,
  sharedWorkloads,
  type WorkloadInput,
} from "./workload.ts";

const SERVICE = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "httpbin", namespace: "apps" },
  spec: { selector: { app: "httpbin" } },
};
const GATEWAY = {
  apiVersion: "networking.istio.io/v1",
  kind: "Gateway",
  metadata: { name: "kyma-gateway", namespace: "kyma-system" },
  spec: { servers: [{ hosts: ["*.local.kyma.dev"], port: { protocol: "HTTPS" } }] },
};

function input(name: string, host: string, handlers: string[]): WorkloadInput {
  const spec: APIRuleSpecV1beta1 = {
    host,
    gateway: "kyma-system/kyma-gateway",
    service: { name: "httpbin", namespace: "apps", port: 8000 },
    rules: handlers.map((handler, i) => ({
      path: `/p${i}`,
      methods: ["GET"],
      accessStrategies: [{ handler }],
    })),
  };
  return { namespace: "team", name, spec };
}

function principalsOf(policy: Record<string, unknown> | undefined): string[] {
  const spec = policy?.spec as { rules: { from: { source: { principals: string[] } }[] }[] };
  return spec.rules.map((r) => r.from[0]!.source.principals[0]!);
}

Deno.test("sharedWorkloads() admits only the identities the v1beta1 traffic comes with", async (t) => {
  const cases = [
    {
      name: "allow/no_auth only: the ingress gateway",
      handlers: ["allow", "no_auth"],
      want: [INGRESS_PRINCIPAL],
    },
    {
      name: "Oathkeeper handlers only: Oathkeeper",
      handlers: ["jwt", "noop"],
      want: [OATHKEEPER_PRINCIPAL],
    },
    { name: "both", handlers: ["no_auth", "jwt"], want: [OATHKEEPER_PRINCIPAL, INGRESS_PRINCIPAL] },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const [workload] = sharedWorkloads([input("a", "a", tc.handlers)], [SERVICE, GATEWAY]);
      assert.ok(workload !== undefined);
      assert.equal(workload.shared, false);
      assert.deepEqual(principalsOf(workload.policy), tc.want);
      assert.deepEqual(
        (workload.policy?.metadata as Record<string, unknown>).namespace,
        "apps",
        "the policy lives where the Service's pods are",
      );
    });
  }
});

Deno.test("sharedWorkloads() groups APIRules by the Service they expose, FQDN hosts", () => {
  const [workload] = sharedWorkloads(
    [input("a", "a", ["allow"]), input("b", "b.example.org", ["no_auth"])],
    [SERVICE, GATEWAY],
  );
  assert.ok(workload !== undefined);
  assert.equal(workload.shared, true);
  assert.deepEqual(workload.apiRules, ["team/a", "team/b"]);
  const spec = workload.policy?.spec as { rules: { to: { operation: { hosts: string[] } }[] }[] };
  assert.deepEqual(spec.rules[0]!.to[0]!.operation.hosts, ["a.local.kyma.dev", "b.example.org"]);
});

Deno.test("sharedWorkloads() says what is missing instead of guessing", () => {
  const [workload] = sharedWorkloads([input("a", "a", ["allow"])], []);
  assert.ok(workload !== undefined);
  assert.equal(workload.policy, undefined);
  assert.match(workload.notes.join("\n"), /selector of Service "apps\/httpbin" is unknown/);
  assert.match(workload.notes.join("\n"), /host "a" .* has no domain/);
});
