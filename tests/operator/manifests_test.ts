/**
 * `apigw manifests` is what `kubectl apply -f -` gets: every document must be accepted by a real
 * apiserver. Applied as a server-side dry run, so the test cluster's own CRDs (whose conversion
 * points at the test webhook) stay as they are.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { testCluster } from "../cluster/mod.ts";
import { isRecord } from "../../kube/object.ts";
import { findResourceType, objectPath } from "../../kube/resources.ts";

Deno.test("apigw manifests: every document is accepted by the apiserver (dry run)", async (t) => {
  const cluster = testCluster();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "manifests", "--image", "apigw:test", "--replicas", "2"],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const documents = parseAllDocuments(new TextDecoder().decode(output.stdout))
    .map((d) => d.toJS())
    .filter(isRecord);
  assert.ok(documents.length > 10);
  for (const document of documents) {
    const metadata = isRecord(document.metadata) ? document.metadata : {};
    const apiVersion = String(document.apiVersion);
    const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
    await t.step(`${document.kind} ${metadata.namespace ?? ""}/${metadata.name}`, async () => {
      const type = findResourceType(group, String(document.kind));
      assert.ok(type !== undefined, `unknown kind ${document.kind}`);
      const path = objectPath(type, {
        namespace: typeof metadata.namespace === "string" ? metadata.namespace : undefined,
        name: String(metadata.name),
      }, { version: apiVersion.split("/").pop() ?? "" });
      const response = await cluster.request(
        "PATCH",
        `${path}?fieldManager=apigw-test&force=true&dryRun=All&fieldValidation=Strict`,
        document,
        "application/apply-patch+yaml",
      );
      assert.ok(response.status < 300, `${response.status}: ${response.text.slice(0, 500)}`);
    });
  }
});
