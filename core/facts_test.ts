import assert from "node:assert/strict";
import fc from "fast-check";
import type { KubeObject } from "../api/meta.ts";
import { factsOf } from "./facts.ts";
import { list, record } from "./istio/read.ts";
import { snapshotOf } from "./snapshot.ts";

const NAMESPACES = ["", "ns1", "ns2"];
const NAMES = ["a", "b", "c"];
const HOSTS = ["a.example.com", "b.example.com", "*.example.com"];

const generated = fc.record({
  kind: fc.constantFrom("Service", "Pod", "VirtualService"),
  name: fc.constantFrom(...NAMES),
  namespace: fc.constantFrom(...NAMESPACES),
  hosts: fc.array(fc.constantFrom(...HOSTS), { maxLength: 3 }),
  app: fc.constantFrom("x", "y"),
});

function objectOf(o: typeof generated extends fc.Arbitrary<infer T> ? T : never): KubeObject {
  const metadata = { name: o.name, namespace: o.namespace, labels: { app: o.app } };
  if (o.kind === "VirtualService") {
    return {
      apiVersion: "networking.istio.io/v1",
      kind: o.kind,
      metadata,
      spec: { hosts: o.hosts },
    };
  }
  if (o.kind === "Service") {
    return { apiVersion: "v1", kind: o.kind, metadata, spec: { selector: { app: o.app } } };
  }
  return { apiVersion: "v1", kind: o.kind, metadata, spec: { containers: [{ name: "app" }] } };
}

/** The facts the checks read before the index: each kind's complete list, then a scan. */
function listed(objects: readonly KubeObject[]) {
  const ref = (o: KubeObject) => ({
    namespace: o.metadata.namespace ?? "",
    name: o.metadata.name ?? "",
  });
  return {
    services: objects.filter((o) => o.kind === "Service").map((o) => ({
      ...ref(o),
      selector: { app: o.metadata.labels?.app ?? "" },
    })),
    pods: objects.filter((o) => o.kind === "Pod").map((o) => ({
      ...ref(o),
      labels: o.metadata.labels ?? {},
      annotations: {},
      containers: ["app"],
      initContainers: [],
    })),
    virtualServices: objects.filter((o) => o.kind === "VirtualService").map((o) => ({
      ...ref(o),
      hosts: list(record(o.spec)?.hosts),
      labels: o.metadata.labels ?? {},
    })),
  };
}

Deno.test("factsOf() index answers what scans of the complete lists answer, in list order", () => {
  fc.assert(
    fc.property(fc.array(generated, { maxLength: 25 }), (items) => {
      const snapshot = snapshotOf(items.map(objectOf), new Set());
      const sorted = [
        ...snapshot.list("", "Service"),
        ...snapshot.list("", "Pod"),
        ...snapshot.list("networking.istio.io", "VirtualService"),
      ];
      const lists = listed(sorted);
      const index = factsOf(snapshot).index!;
      for (const namespace of NAMESPACES) {
        assert.deepEqual(
          index.podsIn(namespace),
          lists.pods.filter((p) => p.namespace === namespace),
        );
        for (const name of NAMES) {
          assert.deepEqual(
            index.service(namespace, name),
            lists.services.find((s) => s.namespace === namespace && s.name === name),
          );
        }
      }
      for (const host of [...HOSTS, "c.example.com"]) {
        assert.deepEqual(
          index.virtualServicesWithHost(host),
          lists.virtualServices.filter((vs) => vs.hosts.includes(host)),
        );
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("snapshotOf() sorts objects whose metadata holds no strings instead of throwing", () => {
  // planRateLimit's property test found it: `{ toString: 0 }` as a namespace threw in the sort.
  const odd = {
    apiVersion: "x/v1",
    kind: "RateLimit",
    metadata: { namespace: { toString: 0 } },
  } as unknown as KubeObject;
  const plain: KubeObject = { apiVersion: "x/v1", kind: "RateLimit", metadata: { name: "a" } };
  const snapshot = snapshotOf([plain, odd], new Set());
  assert.deepEqual(snapshot.list("x", "RateLimit"), [odd, plain]);
});
