/** Namespaces in the test cluster. They are never deleted: without a controller manager a deleted
 * namespace stays Terminating forever (spec §4.2). */
import { kubeOk, type KubeTarget } from "./kube_request.ts";

/** Creates namespace `name` unless it exists. */
export async function ensureNamespace(target: KubeTarget, name: string): Promise<void> {
  await kubeOk(target, "POST", "/api/v1/namespaces", {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
    allow: [409],
  });
}
