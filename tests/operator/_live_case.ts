/**
 * The live mode of the conformance harness: a render case's input is applied to a clean cluster
 * (harness reset) where the operator runs, and what the cluster then holds is turned into the
 * same `RenderRun` the offline mode gets from `apigw render`, so that `judgeRender()` judges both
 * alike. Output objects are the ones the case's CRs own by their kind's rule (APIRule owner
 * labels; a controller reference to a RateLimit; for an APIGateway, everything apigw wrote);
 * the exit code is 1 when a document was rejected or a CR is not Ready; "stderr" has one line per
 * such CR or rejection, like render's.
 */
import { parseAllDocuments } from "yaml";
import { isOwnedBy } from "../../core/apirule/labels.ts";
import { isRecord } from "../../kube/object.ts";
import {
  collectionPath,
  findResourceType,
  objectPath,
  RESOURCE_TYPES,
} from "../../kube/resources.ts";
import { poll, type TestCluster } from "../cluster/mod.ts";
import { judgeRender, type RenderCase, type RenderRun } from "../conformance/render_case.ts";
import { applyAsAdmin, type OperatorProcess } from "./_operator.ts";

type Json = Record<string, unknown>;

const OWN_KINDS = new Set(["APIRule", "RateLimit", "APIGateway"]);
/** Kinds never in the output: cluster plumbing, and the input's own kinds of cluster state. */
const SKIPPED = new Set(["Event", "Lease", "Namespace", "Node", "Pod", "ServiceAccount"]);

export interface LiveResult {
  run: RenderRun;
  problems: string[];
}

/**
 * Resets the cluster, applies the case input, waits until the case passes (or `timeoutMs`
 * passed) and returns the last run with what is still wrong.
 */
export async function runLiveCase(
  cluster: TestCluster,
  operator: OperatorProcess,
  options: { case: RenderCase; folder: string; timeoutMs?: number },
): Promise<LiveResult> {
  await cleanCluster(cluster, operator);
  const documents = parseAllDocuments(options.case.input).map((d) => d.toJS()).filter(isRecord);
  const rejected: string[] = [];
  const crs: Json[] = [];
  for (const document of documents) {
    const failure = await applyDocument(cluster, document);
    if (failure !== undefined) rejected.push(`${describe(document)}: Error: ${failure}`);
    else if (OWN_KINDS.has(String(document.kind))) crs.push(document);
  }
  let last: LiveResult | undefined;
  try {
    await poll(async () => {
      await markOathkeeperAvailable(cluster);
      const run = await collect(cluster, crs, rejected);
      last = { run, problems: judgeRender(options.case, run, options.folder) };
      return last.problems.length === 0 ? true : undefined;
    }, { timeoutMs: options.timeoutMs ?? 30_000, intervalMs: 150, what: "the case to pass" });
  } catch {
    // The last run says what is missing.
  }
  return last ?? { run: { code: -1, stdout: "", stderr: "", items: [] }, problems: ["no run"] };
}

/** Resets the cluster with the operator idle before and after, so no work spills over. */
export async function cleanCluster(cluster: TestCluster, operator: OperatorProcess): Promise<void> {
  await operator.waitIdle();
  await cluster.reset();
  await poll(async () => {
    const objects = await operator.metric("apigw_informer_objects");
    const left = [...objects].filter(([labels, value]) =>
      /apirules|ratelimits|apigateways|virtualservices|authorizationpolicies|requestauthentications|envoyfilters|rules\.oathkeeper/
        .test(labels) && value > 0
    );
    return left.length === 0 ? true : undefined;
  }, { timeoutMs: 60_000, what: "the operator's cache to see the reset" });
  await operator.waitIdle();
}

/** Applies one input document (status through the status subresource); a rejection's text. */
async function applyDocument(cluster: TestCluster, document: Json): Promise<string | undefined> {
  if (document.kind === "Namespace") {
    const name = isRecord(document.metadata) ? String(document.metadata.name) : "";
    await cluster.ensureNamespace(name);
    return undefined;
  }
  const { status, ...object } = document;
  const namespace = isRecord(object.metadata) ? object.metadata.namespace : undefined;
  if (typeof namespace === "string" && namespace !== "") await cluster.ensureNamespace(namespace);
  const applied = await applyAsAdmin(cluster, object);
  if (applied.status >= 400) {
    return isRecord(applied.json) && typeof applied.json.message === "string"
      ? applied.json.message
      : applied.text;
  }
  if (status !== undefined) {
    const path = pathOf(document, "status");
    const response = await cluster.request(
      "PATCH",
      path,
      { status },
      "application/merge-patch+json",
    );
    if (response.status >= 400) {
      throw new Error(`Cannot write status of ${describe(document)}: ${response.text}`);
    }
  }
  return undefined;
}

/**
 * Plays the kubelet the test cluster lacks: the Oathkeeper Deployment becomes Available as soon as
 * it exists (docs/spec/apigateway.md §14: the operator waits for it).
 */
export async function markOathkeeperAvailable(cluster: TestCluster): Promise<void> {
  const path = "/apis/apps/v1/namespaces/kyma-system/deployments/ory-oathkeeper";
  const current = await cluster.request("GET", path);
  if (current.status !== 200 || !isRecord(current.json)) return;
  const status = isRecord(current.json.status) ? current.json.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  if (conditions.some((c) => isRecord(c) && c.type === "Available" && c.status === "True")) return;
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const metadata = isRecord(current.json.metadata) ? current.json.metadata : {};
  const spec = isRecord(current.json.spec) ? current.json.spec : {};
  const replicas = typeof spec.replicas === "number" ? spec.replicas : 1;
  await cluster.request("PATCH", `${path}/status`, {
    status: {
      observedGeneration: metadata.generation,
      replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      updatedReplicas: replicas,
      conditions: [{
        type: "Available",
        status: "True",
        reason: "MinimumReplicasAvailable",
        message: "Deployment has minimum availability.",
        lastUpdateTime: now,
        lastTransitionTime: now,
      }],
    },
  }, "application/merge-patch+json");
}

/** What the cluster holds for the case, as render would print it. */
async function collect(
  cluster: TestCluster,
  crs: readonly Json[],
  rejected: readonly string[],
): Promise<RenderRun> {
  const items: Json[] = [];
  const failures = [...rejected];
  const current: Json[] = [];
  for (const cr of crs) {
    const response = await cluster.request("GET", pathOf(cr));
    if (response.status !== 200 || !isRecord(response.json)) continue;
    current.push(response.json);
    const status = isRecord(response.json.status) ? response.json.status : {};
    const state = typeof status.state === "string" ? status.state : undefined;
    const description = typeof status.description === "string"
      ? status.description
      : isRecord(status.APIRuleStatus) && typeof status.APIRuleStatus.desc === "string"
      ? status.APIRuleStatus.desc
      : "";
    const code = isRecord(status.APIRuleStatus) ? status.APIRuleStatus.code : undefined;
    const ready = state === "Ready" || code === "OK";
    if (!ready) failures.push(`${describe(cr)}: ${state ?? code ?? "no state"}: ${description}`);
  }
  const apiRules = current.filter((cr) => cr.kind === "APIRule").map(identity);
  const uids = new Set(current.map((cr) => identity(cr).uid));
  const hasAPIGateway = current.some((cr) => cr.kind === "APIGateway");
  for (const type of RESOURCE_TYPES) {
    if (SKIPPED.has(type.kind) || OWN_KINDS.has(type.kind)) continue;
    if (type.kind === "CustomResourceDefinition" && !hasAPIGateway) continue;
    const response = await cluster.request("GET", collectionPath(type));
    if (response.status !== 200 || !isRecord(response.json)) continue;
    const list = Array.isArray(response.json.items) ? response.json.items.filter(isRecord) : [];
    for (const item of list) {
      const object: Json = {
        apiVersion: `${type.group ? type.group + "/" : ""}${type.version}`,
        kind: type.kind,
        ...item,
      };
      const metadata = isRecord(object.metadata) ? object.metadata : {};
      const labels = isRecord(metadata.labels) ? stringMap(metadata.labels) : {};
      const owned = apiRules.some((r) => isOwnedBy(labels, r.name, r.namespace)) ||
        references(metadata).some((uid) => uids.has(uid)) ||
        (hasAPIGateway && managers(metadata).includes("apigw"));
      if (owned) items.push(object);
    }
  }
  items.push(...current);
  return {
    code: failures.length > 0 ? 1 : 0,
    stdout: "",
    stderr: failures.map((line) => line + "\n").join(""),
    items,
  };
}

function pathOf(object: Json, subresource?: string): string {
  const apiVersion = String(object.apiVersion ?? "");
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  const type = findResourceType(group, String(object.kind));
  if (type === undefined) throw new Error(`No resource type for ${apiVersion} ${object.kind}`);
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  return objectPath(type, {
    namespace: typeof metadata.namespace === "string" ? metadata.namespace : undefined,
    name: String(metadata.name ?? ""),
  }, {
    version: apiVersion.includes("/") ? apiVersion.slice(apiVersion.indexOf("/") + 1) : apiVersion,
    ...(subresource === undefined ? {} : { subresource }),
  });
}

function identity(object: Json): { name: string; namespace: string; uid: string } {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  return {
    name: String(metadata.name ?? ""),
    namespace: String(metadata.namespace ?? ""),
    uid: String(metadata.uid ?? ""),
  };
}

function references(metadata: Json): string[] {
  const refs = Array.isArray(metadata.ownerReferences) ? metadata.ownerReferences : [];
  return refs.flatMap((r) => isRecord(r) && typeof r.uid === "string" ? [r.uid] : []);
}

function managers(metadata: Json): string[] {
  const entries = Array.isArray(metadata.managedFields) ? metadata.managedFields : [];
  return entries.flatMap((e) => isRecord(e) && typeof e.manager === "string" ? [e.manager] : []);
}

function stringMap(value: Json): Record<string, string> {
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

function describe(object: Json): string {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const name = String(metadata.name ?? "");
  return typeof metadata.namespace === "string" && metadata.namespace !== ""
    ? `${object.kind} ${metadata.namespace}/${name}`
    : `${object.kind} ${name}`;
}
