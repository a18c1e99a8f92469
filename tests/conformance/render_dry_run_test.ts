/**
 * Every object `render` produces for the conformance cases is accepted by the real apiserver
 * (with the Istio, Gardener and Oathkeeper CRDs installed): the case's input objects are created
 * in a clean cluster, then each rendered object is submitted as a server-side dry run — a
 * dry-run create for `generateName` objects, a dry-run server-side apply for named ones — with
 * owner uids taken from the created inputs.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { type TestCluster, testCluster } from "../cluster/mod.ts";
import { groupKind, readRenderCase, runRender } from "./render_case.ts";

const FOLDERS = ["apirule-v2", "apirule-v1beta1", "ratelimit", "apigateway"];
const ROOT = new URL("../fixtures/conformance/", import.meta.url);
const OWN = new Set([
  "gateway.kyma-project.io/APIRule",
  "gateway.kyma-project.io/RateLimit",
  "operator.kyma-project.io/APIGateway",
]);

type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
};

interface Resource {
  plural: string;
  namespaced: boolean;
}

const resources = new Map<string, Map<string, Resource>>();

async function resourceOf(cluster: TestCluster, object: Obj): Promise<Resource> {
  let kinds = resources.get(object.apiVersion);
  if (kinds === undefined) {
    const base = object.apiVersion.includes("/")
      ? `/apis/${object.apiVersion}`
      : `/api/${object.apiVersion}`;
    const response = await cluster.request("GET", base);
    assert.equal(response.status, 200, `discovery of ${object.apiVersion}: ${response.text}`);
    kinds = new Map();
    for (const r of (JSON.parse(response.text).resources ?? []) as Array<Record<string, unknown>>) {
      if (typeof r.name === "string" && !r.name.includes("/")) {
        kinds.set(String(r.kind), { plural: r.name, namespaced: r.namespaced === true });
      }
    }
    resources.set(object.apiVersion, kinds);
  }
  const resource = kinds.get(object.kind);
  assert.ok(resource, `the apiserver does not serve ${object.apiVersion} ${object.kind}`);
  return resource;
}

async function pathOf(cluster: TestCluster, object: Obj, name?: string): Promise<string> {
  const { plural, namespaced } = await resourceOf(cluster, object);
  const base = object.apiVersion.includes("/")
    ? `/apis/${object.apiVersion}`
    : `/api/${object.apiVersion}`;
  const ns = namespaced ? `/namespaces/${String(object.metadata.namespace ?? "default")}` : "";
  return `${base}${ns}/${plural}${name === undefined ? "" : `/${name}`}`;
}

function namespacesOf(objects: readonly Obj[]): string[] {
  return [
    ...new Set(
      objects.map((o) => o.metadata.namespace).filter((n): n is string => typeof n === "string"),
    ),
  ];
}

/** Creates the input objects for real; returns their uids by `group/Kind/name`. */
async function createInputs(
  cluster: TestCluster,
  inputs: readonly Obj[],
): Promise<Map<string, string>> {
  const uids = new Map<string, string>();
  for (const object of inputs) {
    if (object.kind === "Namespace") continue;
    const { status: _, ...body } = object;
    const response = await cluster.request("POST", await pathOf(cluster, object), body);
    assert.equal(
      response.status,
      201,
      `creating input ${object.kind} ${String(object.metadata.name)}: ${response.text}`,
    );
    uids.set(
      `${groupKind(object)}/${String(object.metadata.name)}`,
      String(JSON.parse(response.text).metadata.uid),
    );
  }
  return uids;
}

function withOwnerUids(object: Obj, uids: Map<string, string>): Obj {
  const references = object.metadata.ownerReferences;
  if (!Array.isArray(references)) return object;
  return {
    ...object,
    metadata: {
      ...object.metadata,
      ownerReferences: references.map((r: Record<string, unknown>) => ({
        ...r,
        uid: r.uid ?? uids.get(`${groupKind(r)}/${String(r.name)}`) ??
          "00000000-0000-0000-0000-000000000000",
      })),
    },
  };
}

async function dryRun(
  cluster: TestCluster,
  object: Obj,
): Promise<{ status: number; text: string }> {
  const name = object.metadata.name;
  if (typeof name === "string") {
    return await cluster.request(
      "PATCH",
      `${await pathOf(
        cluster,
        object,
        name,
      )}?dryRun=All&fieldManager=apigw&force=true&fieldValidation=Strict`,
      object,
      "application/apply-patch+yaml",
    );
  }
  return await cluster.request(
    "POST",
    `${await pathOf(cluster, object)}?dryRun=All&fieldValidation=Strict`,
    object,
  );
}

for (const folder of FOLDERS) {
  Deno.test(`the apiserver accepts every object render produces: ${folder}`, async (t) => {
    const cluster = testCluster();
    const dir = new URL(`${folder}/`, ROOT);
    const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".yaml"))
      .sort();
    for (const file of files) {
      const c = readRenderCase(new URL(file, dir));
      if (c.expectError !== null && c.expectError !== undefined) continue;
      await t.step(file, async () => {
        await cluster.reset();
        const inputs = parseAllDocuments(c.input).map((d) => d.toJS()).filter(Boolean) as Obj[];
        const run = await runRender(c.input);
        const rendered = run.items.filter((o) => !OWN.has(groupKind(o))) as Obj[];
        for (const ns of namespacesOf([...inputs, ...rendered])) await cluster.ensureNamespace(ns);
        const uids = await createInputs(cluster, inputs);
        for (const object of rendered) {
          const response = await dryRun(cluster, withOwnerUids(object, uids));
          assert.ok(
            response.status >= 200 && response.status < 300,
            `${object.kind} ${String(object.metadata.namespace ?? "")}/${
              String(object.metadata.name ?? object.metadata.generateName)
            } rejected (${response.status}): ${response.text}`,
          );
        }
      });
    }
    await cluster.reset();
  });
}
