/** Installing CustomResourceDefinitions by server-side apply, and waiting until they serve. */
import { parseAllDocuments } from "yaml";
import { poll } from "../poll.ts";
import { at, list, str } from "./_json.ts";
import { kubeOk, kubeRequest, type KubeTarget } from "./kube_request.ts";

/** Field manager of everything the harness applies. */
export const FIELD_MANAGER = "apigw-test";

const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

/**
 * Applies `crds` (from `readCrds()`) and waits until each is `Established` and its resource
 * shows in discovery (the two can lag). Returns the CRD names.
 */
export async function installCrds(target: KubeTarget, crds: readonly unknown[]): Promise<string[]> {
  // Server-side apply: client-side apply's last-applied annotation is capped at 256 KiB.
  await Promise.all(crds.map((crd) => {
    const query = `fieldManager=${FIELD_MANAGER}&force=true`;
    return kubeOk(target, "PATCH", `${CRD_PATH}/${str(crd, "metadata", "name")}?${query}`, {
      body: crd,
      contentType: "application/apply-patch+yaml",
    });
  }));
  await Promise.all(crds.map((crd) => waitForCrd(target, crd)));
  return crds.map((crd) => str(crd, "metadata", "name") ?? "");
}

/** The CRD objects in the multi-document YAML `files`; other kinds are skipped. */
export async function readCrds(files: readonly (string | URL)[]): Promise<unknown[]> {
  const crds: unknown[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await Deno.readTextFile(file))) {
      const object: unknown = doc.toJS();
      if (str(object, "kind") === "CustomResourceDefinition") crds.push(object);
    }
  }
  return crds;
}

async function waitForCrd(target: KubeTarget, crd: unknown): Promise<void> {
  const name = str(crd, "metadata", "name") ?? "";
  await poll(async () => {
    const response = await kubeOk(target, "GET", `${CRD_PATH}/${name}`);
    const established = list(response.json, "status", "conditions").some((condition) =>
      str(condition, "type") === "Established" && str(condition, "status") === "True"
    );
    return established ? true : undefined;
  }, { timeoutMs: 60_000, what: `CRD "${name}" to be Established` });
  const group = str(crd, "spec", "group");
  const plural = str(crd, "spec", "names", "plural");
  const versions = list(crd, "spec", "versions").filter((v) => at(v, "served") === true);
  for (const version of versions) {
    const path = `/apis/${group}/${str(version, "name")}`;
    await poll(async () => {
      const response = await kubeRequest(target, "GET", path);
      const served = list(response.json, "resources").some((r) => str(r, "name") === plural);
      return served ? true : undefined;
    }, { timeoutMs: 60_000, what: `${plural} in discovery at ${path}` });
  }
}
