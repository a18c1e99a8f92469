import assert from "node:assert/strict";
import fc from "fast-check";
import type { KubeObject } from "../api/meta.ts";
import {
  LEGACY_OWNER_LABEL,
  OWNER_NAME_LABEL,
  OWNER_NAMESPACE_LABEL,
  ownerLabels,
} from "../core/apirule/labels.ts";
import { ownedObjects } from "../core/apirule/owned.ts";
import { HOST_INDEX } from "../core/facts.ts";
import type { KubeClient } from "../kube/client.ts";
import { KubeError } from "../kube/errors.ts";
import { createLogger } from "../lib/log.ts";
import { ClusterCache, slimService } from "./cache.ts";

Deno.test("slimService() keeps what the planners read of a Service and nothing else", () => {
  const metadata = { name: "istio-ingressgateway", namespace: "istio-system", uid: "u1" };
  const slim = slimService({
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {
      type: "LoadBalancer",
      selector: { app: "istio-ingressgateway" },
      ports: [{ name: "http2", port: 80, protocol: "TCP", targetPort: 8080 }],
      ipFamilies: ["IPv4", "IPv6"],
      clusterIP: "10.0.0.1",
      clusterIPs: ["10.0.0.1"],
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
    },
    status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] }, conditions: [{ type: "x" }] },
  });
  assert.deepEqual(slim, {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {
      type: "LoadBalancer",
      selector: { app: "istio-ingressgateway" },
      ports: [{ name: "http2", port: 80, protocol: "TCP", targetPort: 8080 }],
      ipFamilies: ["IPv4", "IPv6"],
    },
    status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } },
  });
});

Deno.test("slimService() reads a Service without spec or status", () => {
  const metadata = { name: "s", namespace: "n" };
  assert.deepEqual(slimService({ apiVersion: "v1", kind: "Service", metadata }), {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {},
  });
});

/** The cache reads nothing here: objects go in as apigw's own writes do. */
const OFFLINE: KubeClient = {
  request: () => Promise.resolve({ ok: false, error: new KubeError("Unavailable", "Offline") }),
  requestObject: () =>
    Promise.resolve({ ok: false, error: new KubeError("Unavailable", "Offline") }),
  stream: () => Promise.resolve({ ok: false, error: new KubeError("Unavailable", "Offline") }),
  close: () => {},
};

const NAMES = ["a", "a.b", "b"];
const NAMESPACES = ["c", "b.c"];
const OWNERS = NAMES.flatMap((name) => NAMESPACES.map((namespace) => ({ name, namespace })));
const HOSTS = ["x.example.com", "y.example.com"];

const write = fc.record({
  forget: fc.boolean(),
  kind: fc.constantFrom("VirtualService", "AuthorizationPolicy"),
  name: fc.constantFrom("o-1", "o-2", "o-3"),
  namespace: fc.constantFrom("ns", "other"),
  legacy: fc.option(fc.constantFrom(...OWNERS.map((o) => `${o.name}.${o.namespace}`)), {
    nil: undefined,
  }),
  owner: fc.option(fc.constantFrom(...OWNERS), { nil: undefined }),
  hosts: fc.array(fc.constantFrom(...HOSTS), { maxLength: 2 }),
});

Deno.test("ClusterCache.snapshot() owner and host lookups equal scans through writes, label changes and deletes", () => {
  fc.assert(
    fc.property(fc.array(write, { maxLength: 40 }), (writes) => {
      const cache = new ClusterCache(OFFLINE, createLogger({ level: "error" }));
      let rv = 0;
      // A deleted object's UID stays deleted (tombstone): one that comes back is a new object.
      const incarnation = new Map<string, number>();
      for (const w of writes) {
        const id = `${w.kind}-${w.namespace}-${w.name}`;
        const labels: Record<string, string> = {};
        if (w.legacy !== undefined) labels[LEGACY_OWNER_LABEL] = w.legacy;
        if (w.owner !== undefined) {
          Object.assign(labels, ownerLabels(w.owner.name, w.owner.namespace));
        }
        const group = w.kind === "VirtualService" ? "networking.istio.io" : "security.istio.io";
        const object: KubeObject = {
          apiVersion: `${group}/v1`,
          kind: w.kind,
          metadata: {
            name: w.name,
            namespace: w.namespace,
            uid: `${id}-${incarnation.get(id) ?? 0}`,
            resourceVersion: String(++rv),
            labels,
          },
          spec: { hosts: w.hosts },
        };
        if (w.forget) {
          cache.forget(object);
          incarnation.set(id, (incarnation.get(id) ?? 0) + 1);
        } else cache.remember(object);

        const snapshot = cache.snapshot();
        for (const [group, kind] of KINDS) {
          const all = snapshot.list(group, kind);
          for (const owner of OWNERS) {
            const legacy = `${owner.name}.${owner.namespace}`;
            sameObjects(
              ownedObjects(snapshot, group, kind, owner),
              all.filter((o) => {
                const l = o.metadata.labels ?? {};
                return l[LEGACY_OWNER_LABEL] === legacy ||
                  (l[OWNER_NAME_LABEL] === owner.name &&
                    l[OWNER_NAMESPACE_LABEL] === owner.namespace);
              }),
            );
          }
        }
        const virtualServices = snapshot.list("networking.istio.io", "VirtualService");
        for (const host of HOSTS) {
          sameObjects(
            snapshot.byIndex("networking.istio.io", "VirtualService", HOST_INDEX, host),
            virtualServices.filter((o) => HOST_INDEX.keys(o).includes(host)),
          );
        }
      }
    }),
    { numRuns: 200 },
  );
});

const KINDS = [
  ["networking.istio.io", "VirtualService"],
  ["security.istio.io", "AuthorizationPolicy"],
] as const;

function sameObjects(actual: readonly KubeObject[], expected: readonly KubeObject[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((o, i) => assert.equal(o, expected[i], `#${i}`));
}
