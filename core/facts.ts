/**
 * The validation facts of a snapshot: every Service, Pod, Gateway, VirtualService, APIGateway and
 * RateLimit it holds, read defensively, with `complete: true` (a snapshot is the whole cluster).
 */
import type { ValidationFacts } from "../api/validation/facts.ts";
import type { KubeObject } from "../api/meta.ts";
import { list, readGateway, readSelector, record, stringMap } from "./istio/read.ts";
import type { Snapshot } from "./snapshot.ts";

/** Facts for the semantic checks, from the whole snapshot. */
export function factsOf(snapshot: Snapshot): ValidationFacts {
  const mesh = snapshot.get("", "ConfigMap", "istio-system", "istio");
  return {
    complete: true,
    services: snapshot.list("", "Service").map((o) => ({ ...ref(o), selector: readSelector(o) })),
    pods: snapshot.list("", "Pod").map((o) => {
      const spec = record(o.spec);
      return {
        ...ref(o),
        labels: o.metadata.labels ?? {},
        annotations: o.metadata.annotations ?? {},
        containers: names(spec?.containers),
        initContainers: names(spec?.initContainers),
      };
    }),
    gateways: snapshot.list("networking.istio.io", "Gateway").map((o) => ({
      ...ref(o),
      servers: (readGateway(o).spec?.servers ?? []).map((s) => ({
        hosts: s.hosts ?? [],
        ...(s.port?.protocol !== undefined ? { protocol: s.port.protocol } : {}),
      })),
    })),
    externalGateways: snapshot.list("gateway.kyma-project.io", "ExternalGateway").map(ref),
    virtualServices: snapshot.list("networking.istio.io", "VirtualService").map((o) => ({
      ...ref(o),
      hosts: list(record(o.spec)?.hosts).filter((h): h is string => typeof h === "string"),
      labels: o.metadata.labels ?? {},
    })),
    istioMeshConfigMap: mesh === undefined ? null : { data: stringMap(mesh.data) },
    apiGateways: snapshot.list("operator.kyma-project.io", "APIGateway").map((o) => ({
      name: o.metadata.name ?? "",
      ...(o.metadata.creationTimestamp !== undefined
        ? { creationTimestamp: o.metadata.creationTimestamp }
        : {}),
    })),
    // A RateLimit without a readable selector (the schema requires one) selects nothing.
    rateLimits: snapshot.list("gateway.kyma-project.io", "RateLimit").map((o) => ({
      ...ref(o),
      selectorLabels: stringMap(record(o.spec)?.selectorLabels),
    })).filter((r) => Object.keys(r.selectorLabels).length > 0),
  };
}

function ref(o: KubeObject): { namespace: string; name: string } {
  return {
    namespace: o.metadata.namespace ?? "",
    name: o.metadata.name ?? o.metadata.generateName ?? "",
  };
}

function names(value: unknown): string[] {
  return list(value).flatMap((c) => {
    const name = record(c)?.name;
    return typeof name === "string" ? [name] : [];
  });
}
