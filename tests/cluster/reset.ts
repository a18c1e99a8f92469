/**
 * Resetting the test cluster to its state right after CRD install, cheaply.
 *
 * Deletes every namespaced object whose UID is not in the baseline, every object of our own
 * cluster-scoped kinds, and ClusterRoles/ClusterRoleBindings labelled `apigw.test/created=true`.
 * Finalizers are stripped first (no controller would ever remove them). Namespaces and CRDs stay.
 */
import { poll } from "../poll.ts";
import { list, str } from "./_json.ts";
import { collectionPath, discoverResourceTypes, type ResourceType } from "./discovery.ts";
import { kubeOk, type KubeTarget } from "./kube_request.ts";

/** Label that marks cluster-scoped RBAC objects created by tests, so reset removes them. */
export const TEST_CREATED_LABEL = "apigw.test/created";

/** Groups whose cluster-scoped kinds are ours: all their objects are test data. */
const OWN_GROUPS = new Set(["gateway.kyma-project.io", "operator.kyma-project.io"]);
const LABELLED_RBAC = new Set(["clusterroles", "clusterrolebindings"]);
const CONCURRENCY = 16;

/** UIDs of the objects that survive a reset. */
export type Baseline = ReadonlySet<string>;

interface Found {
  readonly type: ResourceType;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly uid: string;
  readonly finalizers: boolean;
}

/** Records the UIDs of every namespaced object now in the cluster. */
export async function takeBaseline(target: KubeTarget): Promise<Baseline> {
  const types = (await discoverResourceTypes(target)).filter(isResettable);
  const found = await listAll(target, types.filter((type) => type.namespaced));
  return new Set(found.map((object) => object.uid));
}

/** Deletes everything a test may have left behind, waits until it is gone, and says what it was. */
export async function resetCluster(
  target: KubeTarget,
  baseline: Baseline,
): Promise<{ deleted: number; objects: string[] }> {
  const types = (await discoverResourceTypes(target)).filter(isResettable);
  const doomed = (await listAll(target, types)).filter((o) => !baseline.has(o.uid));
  await mapLimit(doomed, (object) => remove(target, object));
  const doomedUids = new Set(doomed.map((object) => object.uid));
  const doomedTypes = types.filter((type) => doomed.some((object) => object.type === type));
  await poll(async () => {
    const left = (await listAll(target, doomedTypes)).filter((o) => doomedUids.has(o.uid));
    // A finalizer added while the delete was in flight would block it forever: strip again.
    await mapLimit(left.filter((o) => o.finalizers), (object) => stripFinalizers(target, object));
    return left.length === 0 ? true : undefined;
  }, { timeoutMs: 30_000, what: `${doomed.length} objects to be deleted by reset` });
  const objects = doomed.map((o) => `${o.type.resource} ${o.namespace ?? ""}/${o.name}`).sort();
  return { deleted: doomed.length, objects };
}

function isResettable(type: ResourceType): boolean {
  if (!type.verbs.includes("list") || !type.verbs.includes("delete")) return false;
  if (type.namespaced) return true;
  return OWN_GROUPS.has(type.group) ||
    (type.group === "rbac.authorization.k8s.io" && LABELLED_RBAC.has(type.resource));
}

async function listAll(target: KubeTarget, types: readonly ResourceType[]): Promise<Found[]> {
  const lists = await mapLimit(types, async (type) => {
    const selector = type.namespaced || OWN_GROUPS.has(type.group)
      ? ""
      : `?labelSelector=${encodeURIComponent(`${TEST_CREATED_LABEL}=true`)}`;
    const response = await kubeOk(target, "GET", `${collectionPath(type)}${selector}`, {
      allow: [404], // A CRD deleted since discovery.
    });
    return list(response.json, "items").map((item): Found => ({
      type,
      namespace: str(item, "metadata", "namespace"),
      name: str(item, "metadata", "name") ?? "",
      uid: str(item, "metadata", "uid") ?? "",
      finalizers: list(item, "metadata", "finalizers").length > 0,
    }));
  });
  return lists.flat();
}

async function remove(target: KubeTarget, object: Found): Promise<void> {
  if (object.finalizers) await stripFinalizers(target, object);
  const query = "propagationPolicy=Background&gracePeriodSeconds=0";
  await kubeOk(target, "DELETE", `${itemPath(object)}?${query}`, { allow: [404] });
}

async function stripFinalizers(target: KubeTarget, object: Found): Promise<void> {
  await kubeOk(target, "PATCH", itemPath(object), {
    body: { metadata: { finalizers: null } },
    contentType: "application/merge-patch+json",
    allow: [404],
  });
}

function itemPath(object: Found): string {
  return `${collectionPath(object.type, object.namespace)}/${encodeURIComponent(object.name)}`;
}

/** Maps with at most `CONCURRENCY` requests in flight, keeping the order. */
async function mapLimit<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const queue = items.entries(); // Shared by the workers: each entry is taken once.
  async function worker(): Promise<void> {
    for (const [index, item] of queue) results[index] = await fn(item);
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return results;
}
