import assert from "node:assert/strict";
import type { HubObject, HubSpec, Metadata, V1beta1Spec } from "./_types.ts";
import { canonicalV1beta1Spec } from "./canonical_json.ts";
import { hubToV2, v2ToHub } from "./v2.ts";

const ORIGINAL = "gateway.kyma-project.io/original-version";
const SAVED = "gateway.kyma-project.io/v1beta1-spec";

const V1BETA1_SPEC: V1beta1Spec = {
  host: "httpbin.example.com",
  service: { name: "httpbin", port: 8000 },
  gateway: "kyma-system/kyma-gateway",
  rules: [{ path: "/headers", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] }],
};

/** What §4 makes of V1BETA1_SPEC: the v2 view of the v1beta1-authored APIRule. */
const DERIVED: HubSpec = {
  hosts: ["httpbin.example.com"],
  service: { name: "httpbin", port: 8000 },
  gateway: "kyma-system/kyma-gateway",
  rules: [{ path: "/headers", methods: ["GET"], noAuth: true }],
};

const V1BETA1_AUTHORED: Metadata = {
  name: "httpbin",
  namespace: "shop",
  annotations: { [ORIGINAL]: "v1beta1", [SAVED]: canonicalV1beta1Spec(V1BETA1_SPEC) },
};

function annotationsAfter(metadata: Metadata, spec: HubSpec | undefined) {
  return v2ToHub({ metadata, ...(spec ? { spec } : {}) }).metadata.annotations;
}

Deno.test("v2ToHub() keeps original-version as §10.1 says", async (t) => {
  const cases: {
    name: string;
    metadata: Metadata;
    spec?: HubSpec;
    expected: Record<string, string>;
  }[] = [
    { name: "absent → v2", metadata: {}, spec: DERIVED, expected: { [ORIGINAL]: "v2" } },
    {
      name: "v2alpha1 stays v2alpha1",
      metadata: { annotations: { [ORIGINAL]: "v2alpha1" } },
      spec: DERIVED,
      expected: { [ORIGINAL]: "v2alpha1" },
    },
    {
      name: "v1beta1 without rules stays v1beta1",
      metadata: V1BETA1_AUTHORED,
      spec: { hosts: ["other.example.com"] },
      expected: V1BETA1_AUTHORED.annotations ?? {},
    },
    {
      name: "v1beta1 with changed rules → v2 (a migration)",
      metadata: V1BETA1_AUTHORED,
      spec: { ...DERIVED, rules: [{ path: "/other", methods: ["GET"], noAuth: true }] },
      expected: { [ORIGINAL]: "v2" },
    },
    {
      name: "v1beta1 with rules but no saved spec → v2",
      metadata: { annotations: { [ORIGINAL]: "v1beta1" } },
      spec: DERIVED,
      expected: { [ORIGINAL]: "v2" },
    },
    {
      name: "v1beta1 with rules and an unreadable saved spec → v2",
      metadata: { annotations: { [ORIGINAL]: "v1beta1", [SAVED]: "{" } },
      spec: DERIVED,
      expected: { [ORIGINAL]: "v2" },
    },
  ];
  for (const tc of cases) {
    await t.step(
      tc.name,
      () => assert.deepEqual(annotationsAfter(tc.metadata, tc.spec), tc.expected),
    );
  }
});

Deno.test("v2ToHub() keeps v1beta1 when the written spec is the v2 view of the saved spec (decision 7)", () => {
  // Upstream flips to v2 whenever rules are present, so the v1beta1 view comes back empty.
  assert.deepEqual(annotationsAfter(V1BETA1_AUTHORED, DERIVED), V1BETA1_AUTHORED.annotations);
});

Deno.test("v2ToHub() migrates when only a top-level field changed, since the v1beta1 pipeline would not see it", () => {
  const spec = { ...DERIVED, hosts: ["moved.example.com"] };
  assert.deepEqual(annotationsAfter(V1BETA1_AUTHORED, spec), { [ORIGINAL]: "v2" });
});

Deno.test("v2ToHub() drops the saved v1beta1 spec when it migrates, where upstream leaves it stale (§17 item 5)", () => {
  const spec = { ...DERIVED, rules: [{ path: "/other", methods: ["GET"], noAuth: true }] };
  assert.equal(annotationsAfter(V1BETA1_AUTHORED, spec)?.[SAVED], undefined);
});

Deno.test("v2ToHub() copies spec and status unchanged (§10.1 step 3)", () => {
  const source: HubObject = {
    metadata: { annotations: { [ORIGINAL]: "v2" } },
    spec: { ...DERIVED, externalGateway: "a/b", corsPolicy: { maxAge: 5 }, timeout: 9 },
    status: { state: "Warning", description: "d" },
  };
  assert.deepEqual(v2ToHub(source), source);
});

Deno.test("hubToV2() copies everything when no legacy repair applies (§10.2 step 1)", async (t) => {
  const sources: [string, HubObject][] = [
    ["v2 object", { metadata: { annotations: { [ORIGINAL]: "v2" } }, spec: { rules: [] } }],
    ["v1beta1 object with a gateway", {
      metadata: V1BETA1_AUTHORED,
      spec: DERIVED,
      status: { state: "Ready" },
    }],
  ];
  for (const [name, source] of sources) {
    await t.step(name, () => assert.deepEqual(hubToV2(source), { ok: true, value: source }));
  }
});

Deno.test("hubToV2() repairs a v1beta1 object's empty hub spec from the saved spec (§10.2 step 2)", () => {
  const result = hubToV2({ metadata: V1BETA1_AUTHORED, spec: {} });
  assert.deepEqual(result.ok && result.value.spec, {
    hosts: ["httpbin.example.com"],
    service: { name: "httpbin", port: 8000 },
    gateway: "kyma-system/kyma-gateway",
  });
});

Deno.test("hubToV2() qualifies a one-part gateway with the namespace in the repair, where upstream's is empty (§17 item 6)", () => {
  const saved = canonicalV1beta1Spec({ ...V1BETA1_SPEC, gateway: "kyma-gateway" });
  const metadata = { namespace: "shop", annotations: { [ORIGINAL]: "v1beta1", [SAVED]: saved } };
  const result = hubToV2({ metadata, spec: {} });
  assert.equal(result.ok && result.value.spec?.gateway, "shop/kyma-gateway"); // upstream: dropped
});

Deno.test("hubToV2() keeps the hub's CORS policy when the saved spec has none, where upstream crashes (§15)", () => {
  const result = hubToV2({ metadata: V1BETA1_AUTHORED, spec: { corsPolicy: { maxAge: 10 } } });
  assert.deepEqual(result.ok && result.value.spec?.corsPolicy, { maxAge: 10 });
});

Deno.test("hubToV2() rebuilds the CORS policy from the saved spec only when the hub has one", () => {
  const saved = canonicalV1beta1Spec({ ...V1BETA1_SPEC, corsPolicy: { maxAge: "1m0s" } });
  const metadata = { annotations: { [ORIGINAL]: "v1beta1", [SAVED]: saved } };
  const repaired = hubToV2({ metadata, spec: { corsPolicy: { maxAge: 10 } } });
  assert.deepEqual(repaired.ok && repaired.value.spec?.corsPolicy, { maxAge: 60 });
  const without = hubToV2({ metadata, spec: {} });
  assert.equal(without.ok && without.value.spec?.corsPolicy, undefined);
});

Deno.test("hubToV2() fails when the repair cannot read the saved spec, naming the annotation", () => {
  const result = hubToV2({ metadata: { annotations: { [ORIGINAL]: "v1beta1" } }, spec: {} });
  assert.equal(result.ok ? "" : result.error.field, `metadata.annotations[${SAVED}]`);
});
