/** Resource types of the test cluster, from aggregated discovery (two requests for everything). */
import { list, str } from "./_json.ts";
import { kubeOk, type KubeTarget } from "./kube_request.ts";

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  /** Plural resource name, e.g. `virtualservices`. */
  readonly resource: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
}

// Aggregated discovery (GA since 1.30): every group, version and resource in one response.
const AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/** Every top-level resource of the preferred version of every group, core included. */
export async function discoverResourceTypes(target: KubeTarget): Promise<ResourceType[]> {
  const lists = await Promise.all(
    ["/api", "/apis"].map((path) => kubeOk(target, "GET", path, { accept: AGGREGATED })),
  );
  const types: ResourceType[] = [];
  for (const response of lists) {
    if (str(response.json, "kind") !== "APIGroupDiscoveryList") {
      throw new Error(
        `Discovery did not return an APIGroupDiscoveryList: ${response.text.slice(0, 200)}`,
      );
    }
    for (const group of list(response.json, "items")) {
      // Versions are listed in preference order; objects are the same in every version. A kind
      // may be served in other versions than the preferred one only (RateLimit's v1alpha1 next
      // to APIRule's v2), so every version counts, the first one naming a resource wins.
      const seen = new Set<string>();
      for (const version of list(group, "versions")) {
        for (const resource of list(version, "resources")) {
          const name = str(resource, "resource") ?? "";
          if (seen.has(name)) continue;
          seen.add(name);
          types.push({
            group: str(group, "metadata", "name") ?? "",
            version: str(version, "version") ?? "",
            resource: name,
            namespaced: str(resource, "scope") === "Namespaced",
            verbs: list(resource, "verbs").filter((verb) => typeof verb === "string"),
          });
        }
      }
    }
  }
  return types;
}

/** `/api/v1/<resource>` or `/apis/<group>/<version>/<resource>`, across all namespaces. */
export function collectionPath(type: ResourceType, namespace?: string): string {
  const prefix = type.group === "" ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const scope = namespace === undefined ? "" : `/namespaces/${namespace}`;
  return `${prefix}${scope}/${type.resource}`;
}
