/** Kubeconfigs for test service accounts, from the TokenRequest API (spec §3.8). */
import { str } from "./_json.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { kubeOk, type KubeTarget } from "./kube_request.ts";
import { ensureNamespace } from "./namespaces.ts";

export interface ServiceAccountKubeconfig {
  readonly path: string;
  /** The bearer token, valid for one hour. */
  readonly token: string;
}

/**
 * Creates namespace `ns` and ServiceAccount `sa` (when missing) and writes
 * `<runDir>/sa-<ns>-<sa>.kubeconfig` that authenticates as `system:serviceaccount:<ns>:<sa>`.
 */
export async function serviceAccountKubeconfig(
  target: KubeTarget,
  account: { ns: string; sa: string },
  options: { runDir: string },
): Promise<ServiceAccountKubeconfig> {
  const { ns, sa } = account;
  await ensureNamespace(target, ns);
  const accounts = `/api/v1/namespaces/${ns}/serviceaccounts`;
  await kubeOk(target, "POST", accounts, {
    body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa } },
    allow: [409],
  });
  const response = await kubeOk(target, "POST", `${accounts}/${sa}/token`, {
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 3600 },
    },
  });
  const token = str(response.json, "status", "token");
  if (token === undefined) {
    throw new Error(`TokenRequest for ServiceAccount "${ns}/${sa}" returned no status.token`);
  }
  const path = `${options.runDir}/sa-${ns}-${sa}.kubeconfig`;
  await writeKubeconfig(path, { url: target.url, caPem: target.caPem, token, user: sa });
  return { path, token };
}
