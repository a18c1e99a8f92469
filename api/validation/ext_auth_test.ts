import assert from "node:assert/strict";
import { extAuthFailures, extensionProviders } from "./ext_auth.ts";
import type { ValidationFacts } from "./facts.ts";
import { MESH } from "./_testing.ts";

const R = ".spec.rules[0]";
const A = `${R}.extAuth.externalAuthorizers`;

type Case = {
  name: string;
  mesh: NonNullable<ValidationFacts["istioMeshConfigMap"]> | null;
  authorizers: string[];
  failures: Array<[string, string]>;
};

const CASES: Case[] = [
  {
    name: "E1 fails when the Istio ConfigMap does not exist",
    mesh: null,
    authorizers: ["ext-authz"],
    failures: [[`${R}.extAuth`, "Failed to get Istio ConfigMap"]],
  },
  {
    name: "E2 fails without a mesh key",
    mesh: { data: {} },
    authorizers: ["ext-authz"],
    failures: [[A, "Istio ConfigMap does not contain mesh key"]],
  },
  {
    name: "E3 fails on mesh data of another shape",
    mesh: { data: { mesh: "extensionProviders: not-a-list" } },
    authorizers: ["ext-authz"],
    failures: [[A, "Failed to unmarshal mesh data"]],
  },
  {
    name: "E3 fails on mesh data that is not YAML",
    mesh: { data: { mesh: "extensionProviders: [" } },
    authorizers: ["ext-authz"],
    failures: [[A, "Failed to unmarshal mesh data"]],
  },
  {
    name: "E4 fails on an unknown authorizer, per authorizer",
    mesh: { data: { mesh: MESH } },
    authorizers: ["unknown-authz", "ext-authz", "other"],
    failures: [
      [`${A}.unknown-authz`, "Authorizer not found in Istio ConfigMap mesh data"],
      [`${A}.other`, "Authorizer not found in Istio ConfigMap mesh data"],
    ],
  },
  {
    name: "E5 fails on a gRPC provider (Q5)",
    mesh: { data: { mesh: MESH } },
    authorizers: ["grpc-authz"],
    failures: [[
      `${A}.grpc-authz`,
      "EnvoyExtAuthzHttp not found in Istio ConfigMap mesh data for authorizer",
    ]],
  },
  {
    name: "E1–E5 pass an envoyExtAuthzHttp provider",
    mesh: { data: { mesh: MESH } },
    authorizers: ["ext-authz"],
    failures: [],
  },
  {
    name: "E4 fails on mesh data without providers",
    mesh: { data: { mesh: "" } },
    authorizers: ["ext-authz"],
    failures: [[`${A}.ext-authz`, "Authorizer not found in Istio ConfigMap mesh data"]],
  },
];

Deno.test("extAuthFailures() checks authorizers against the mesh config (E1–E5)", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => {
      const checked = extAuthFailures(R, tc.authorizers, { istioMeshConfigMap: tc.mesh });
      assert.deepEqual(
        checked.failures,
        tc.failures.map(([attributePath, message]) => ({ attributePath, message })),
      );
      assert.deepEqual(checked.notes, []);
    });
  }
});

Deno.test("extAuthFailures() notes that it skipped without the mesh ConfigMap", () => {
  assert.deepEqual(extAuthFailures(R, ["ext-authz"], {}), {
    failures: [],
    notes: ['extAuth checks skipped: no ConfigMap "istio-system/istio" in the input'],
  });
});

Deno.test("extensionProviders() reads names and whether a provider is HTTP", () => {
  assert.deepEqual(extensionProviders(MESH), [
    { name: "ext-authz", http: true },
    { name: "grpc-authz", http: false },
  ]);
  assert.deepEqual(extensionProviders("extensionProviders:\n- name: [x]\n"), undefined);
  assert.deepEqual(extensionProviders("- a\n"), undefined);
});
