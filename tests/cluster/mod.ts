/**
 * What a cluster test imports. `deno task test` (tests/run.ts) builds and starts one etcd plus
 * kube-apiserver, installs the CRDs, records a baseline and runs every test with the cluster's
 * coordinates in the environment. `testCluster()` reads them; requests go straight to the
 * apiserver, while `reset()` and `restartApiserver()` ask the runner through its control endpoint,
 * because only the runner owns the processes and the baseline.
 */
import { isObject } from "./_json.ts";
import { kubeRequest, type KubeResponse, type KubeTarget } from "./kube_request.ts";
import { ensureNamespace } from "./namespaces.ts";
import { type ServiceAccountKubeconfig, serviceAccountKubeconfig } from "./service_account.ts";

export { poll } from "../poll.ts";
export { FIELD_MANAGER } from "./crds.ts";
export { kubeRequest, type KubeResponse } from "./kube_request.ts";
export { TEST_CREATED_LABEL } from "./reset.ts";

/** The environment variables `tests/run.ts` sets for the test process. */
export const CLUSTER_ENV = {
  kubeconfig: "KUBECONFIG",
  url: "APIGW_TEST_KUBE_URL",
  token: "APIGW_TEST_KUBE_TOKEN",
  caPath: "APIGW_TEST_KUBE_CA",
  runDir: "APIGW_TEST_RUN_DIR",
  control: "APIGW_TEST_CONTROL",
} as const;

export interface TestCluster extends KubeTarget {
  readonly kubeconfigPath: string;
  readonly runDir: string;
  /** One admin request; an object body is sent as JSON, a string as is. */
  request(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<KubeResponse>;
  /** Deletes every object made since CRD install (namespaces and CRDs stay), named in `deleted`. */
  reset(): Promise<{ deleted: string[] }>;
  /** Restarts kube-apiserver on the same port and etcd; resolves once it is ready again. */
  restartApiserver(): Promise<void>;
  /**
   * Makes every namespaced object that exists now survive later resets (for fixtures a whole
   * test file shares, such as an operator's ServiceAccount and RBAC).
   */
  keep(): Promise<void>;
  /** Creates ServiceAccount `ns/sa` if missing and writes a kubeconfig with a fresh token. */
  serviceAccountKubeconfig(ns: string, sa: string): Promise<ServiceAccountKubeconfig>;
  ensureNamespace(ns: string): Promise<void>;
}

/** A fresh name such as `reset-1a2b3c4d`, so each test works in a namespace of its own. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** The test cluster started by `deno task test`; throws when run any other way. */
export function testCluster(): TestCluster {
  const missing = Object.values(CLUSTER_ENV).filter((name) => !Deno.env.get(name));
  if (missing.length > 0) {
    throw new Error(
      `No test cluster: ${missing.join(", ")} not set; run through \`deno task test\``,
    );
  }
  const target: KubeTarget = {
    url: read(CLUSTER_ENV.url),
    token: read(CLUSTER_ENV.token),
    caPem: Deno.readTextFileSync(read(CLUSTER_ENV.caPath)),
  };
  const runDir = read(CLUSTER_ENV.runDir);
  const control = read(CLUSTER_ENV.control);
  return {
    ...target,
    kubeconfigPath: read(CLUSTER_ENV.kubeconfig),
    runDir,
    request: (method, path, body, contentType) =>
      kubeRequest(target, method, path, {
        ...(body === undefined ? {} : { body }),
        ...(contentType === undefined ? {} : { contentType }),
      }),
    reset: async () => {
      const result = await callControl(control, "/reset");
      const objects = Array.isArray(result.objects) ? result.objects : [];
      return { deleted: objects.filter((o) => typeof o === "string") };
    },
    restartApiserver: async () => void await callControl(control, "/restart-apiserver"),
    keep: async () => void await callControl(control, "/keep"),
    serviceAccountKubeconfig: (ns, sa) => serviceAccountKubeconfig(target, { ns, sa }, { runDir }),
    ensureNamespace: (ns) => ensureNamespace(target, ns),
  };
}

function read(name: string): string {
  return Deno.env.get(name) ?? "";
}

async function callControl(control: string, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${control}${path}`, { method: "POST" });
  const body: unknown = await response.json();
  if (!response.ok) {
    throw new Error(
      `Runner control ${path} failed with ${response.status}: ${JSON.stringify(body)}`,
    );
  }
  return isObject(body) ? body : {};
}
