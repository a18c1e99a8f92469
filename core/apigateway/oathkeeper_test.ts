import assert from "node:assert/strict";
import { parse } from "yaml";
import type { KubeObject } from "../../api/meta.ts";
import { clusterSize } from "./cluster_size.ts";
import { oathkeeperAvailability, oathkeeperReferences, oathkeeperStack } from "./oathkeeper.ts";
import { SHIPPED_IMAGES } from "./oathkeeper_deployment.ts";
import { oathkeeperRuleCRD } from "./oathkeeper_rule_crd.ts";
import { listAt, stringAt, valueAt } from "./_read.ts";
import { find, keys, NOW, object, snapshot } from "./_testing.ts";

function node(name: string, cpu: string, memory: string): KubeObject {
  return object("v1", "Node", name, { status: { capacity: { cpu, memory } } });
}

const PRODUCTION = [node("n1", "4", "8Gi"), node("n2", "2", "8Gi")];

function stack(objects: KubeObject[]) {
  return oathkeeperStack(snapshot(objects), { images: SHIPPED_IMAGES, domain: "c1.example.com" });
}

const SIZES = [
  { name: "no Nodes", nodes: [], size: "Evaluation" },
  { name: "6 CPUs, 16 GiB", nodes: PRODUCTION, size: "Production" },
  { name: "4.9 CPUs", nodes: [node("n1", "4900m", "64Gi")], size: "Evaluation" },
  { name: "9.9 GB", nodes: [node("n1", "8", "9900M")], size: "Evaluation" },
  { name: "exactly 5 CPUs and 10 GB", nodes: [node("n1", "5", "10G")], size: "Production" },
];

Deno.test("clusterSize() sums the Nodes' capacity", async (t) => {
  for (const tc of SIZES) {
    await t.step(tc.name, () => assert.equal(clusterSize(snapshot(tc.nodes)), tc.size));
  }
});

Deno.test("oathkeeperStack() applies the whole stack in upstream's order", () => {
  assert.deepEqual(keys(stack(PRODUCTION).apply), [
    "apiextensions.k8s.io/CustomResourceDefinition rules.oathkeeper.ory.sh",
    "security.istio.io/PeerAuthentication kyma-system/ory-oathkeeper-maester-metrics",
    "core/ServiceAccount kyma-system/oathkeeper-maester-account",
    "rbac.authorization.k8s.io/ClusterRole oathkeeper-maester-role",
    "rbac.authorization.k8s.io/ClusterRoleBinding oathkeeper-maester-role-binding",
    "core/Secret kyma-system/ory-oathkeeper-jwks-secret",
    "core/ConfigMap kyma-system/ory-oathkeeper-config",
    "autoscaling/HorizontalPodAutoscaler kyma-system/ory-oathkeeper",
    "core/ServiceAccount kyma-system/ory-oathkeeper",
    "core/Service kyma-system/ory-oathkeeper-api",
    "core/Service kyma-system/ory-oathkeeper-maester-metrics",
    "core/Service kyma-system/ory-oathkeeper-proxy",
    "apps/Deployment kyma-system/ory-oathkeeper",
    "policy/PodDisruptionBudget kyma-system/ory-oathkeeper",
  ]);
});

Deno.test("oathkeeperStack() on an evaluation cluster: light Deployment, no HPA", () => {
  const { apply, delete: deleted } = stack([]);
  assert.ok(!apply.some((o) => o.kind === "HorizontalPodAutoscaler"));
  assert.deepEqual(keys(deleted), [
    "autoscaling/HorizontalPodAutoscaler kyma-system/ory-oathkeeper",
  ]);
  const deployment = find(apply, "Deployment", "ory-oathkeeper");
  assert.equal(valueAt(deployment, "spec", "replicas"), 1);
  assert.equal(valueAt(deployment, "spec", "template", "spec", "affinity"), undefined);
  assert.deepEqual(
    valueAt(listAt(deployment, "spec", "template", "spec", "containers")[0], "resources"),
    {
      requests: { cpu: "10m", memory: "64Mi" },
      limits: { cpu: "100m", memory: "128Mi" },
    },
  );
});

Deno.test("oathkeeperStack() on a production cluster: full Deployment with anti-affinity", () => {
  const deployment = find(stack(PRODUCTION).apply, "Deployment", "ory-oathkeeper");
  assert.equal(valueAt(deployment, "spec", "replicas"), 3);
  const terms = listAt(
    deployment,
    "spec",
    "template",
    "spec",
    "affinity",
    "podAntiAffinity",
    "preferredDuringSchedulingIgnoredDuringExecution",
  );
  assert.deepEqual(terms.map((term) => stringAt(term, "podAffinityTerm", "topologyKey")), [
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
  ]);
  const images = listAt(deployment, "spec", "template", "spec", "containers").map((c) =>
    stringAt(c, "image")
  );
  assert.deepEqual(images, [SHIPPED_IMAGES.oathkeeper, SHIPPED_IMAGES.maester]);
});

Deno.test("oathkeeperStack() keeps the replicas of an existing Deployment", () => {
  const existing = object("apps/v1", "Deployment", "kyma-system/ory-oathkeeper", {
    spec: { replicas: 7 },
  });
  const deployment = find(stack([...PRODUCTION, existing]).apply, "Deployment", "ory-oathkeeper");
  assert.equal(valueAt(deployment, "spec", "replicas"), 7);
});

Deno.test("oathkeeperStack() plans the JWKS Secret without data and asks for a key set", () => {
  const { apply, generate } = stack([]);
  assert.equal(find(apply, "Secret", "ory-oathkeeper-jwks-secret").data, undefined);
  assert.deepEqual(generate, [{
    namespace: "kyma-system",
    name: "ory-oathkeeper-jwks-secret",
    material: { kind: "JWKS" },
  }]);
});

Deno.test("oathkeeperStack() configures the id_token issuer on the cluster domain", () => {
  const config = stringAt(
    find(stack([]).apply, "ConfigMap", "ory-oathkeeper-config"),
    "data",
    "config.yaml",
  );
  const parsed: unknown = parse(config ?? "");
  assert.equal(
    stringAt(parsed, "mutators", "id_token", "config", "issuer_url"),
    "https://oathkeeper.c1.example.com",
  );
  assert.equal(valueAt(parsed, "authenticators", "cookie_session", "enabled"), false);
});

Deno.test("oathkeeperReferences() deletes every applied object, the CRD last", () => {
  const applied = new Set(keys(stack(PRODUCTION).apply));
  const deleted = keys(oathkeeperReferences());
  assert.deepEqual(new Set(deleted), applied);
  assert.equal(
    deleted.at(-1),
    "apiextensions.k8s.io/CustomResourceDefinition rules.oathkeeper.ory.sh",
  );
});

Deno.test("oathkeeperRuleCRD() is the Maester fixture without printer columns", async () => {
  const fixture = parse(
    await Deno.readTextFile(
      new URL("../../tests/fixtures/crds/oathkeeper.ory.sh_rules.yaml", import.meta.url),
    ),
  );
  const version = listAt(fixture, "spec", "versions")[0];
  const ours = listAt(oathkeeperRuleCRD(), "spec", "versions")[0];
  assert.deepEqual(valueAt(ours, "schema"), valueAt(version, "schema"));
  assert.equal(valueAt(ours, "additionalPrinterColumns"), undefined);
  assert.deepEqual(
    valueAt(oathkeeperRuleCRD(), "spec", "names"),
    valueAt(fixture, "spec", "names"),
  );
});

function deployment(fields: Record<string, unknown>, created = "2025-12-31T23:59:00Z"): KubeObject {
  const d = object("apps/v1", "Deployment", "kyma-system/ory-oathkeeper", fields);
  return { ...d, metadata: { ...d.metadata, creationTimestamp: created } };
}

function conditions(...list: Array<Record<string, string>>): Record<string, unknown> {
  return { status: { conditions: list } };
}

const AVAILABILITY: Array<{ name: string; objects: KubeObject[]; status: string }> = [
  { name: "no Deployment yet", objects: [], status: "Starting" },
  {
    name: "Available",
    objects: [deployment(conditions({ type: "Available", status: "True" }))],
    status: "Available",
  },
  { name: "created a minute ago, no conditions", objects: [deployment({})], status: "Starting" },
  {
    name: "unavailable for more than two minutes",
    objects: [
      deployment(
        conditions({
          type: "Available",
          status: "False",
          lastTransitionTime: "2025-12-31T23:57:00Z",
        }),
      ),
    ],
    status: "Failed",
  },
  {
    name: "progress deadline exceeded",
    objects: [
      deployment(
        conditions({ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }),
      ),
    ],
    status: "Failed",
  },
];

Deno.test("oathkeeperAvailability() tells starting from failed by the time since the change", async (t) => {
  for (const tc of AVAILABILITY) {
    await t.step(tc.name, () => {
      assert.equal(oathkeeperAvailability(snapshot(tc.objects), NOW).status, tc.status);
    });
  }
});
