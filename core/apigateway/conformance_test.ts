/**
 * Runs every APIGateway case of the shared conformance corpus through `reconcileAll` with the
 * APIGateway planner, judged by tests/fixtures/conformance/README.md: every case is `match:
 * subset`, expected objects are found by API group, kind, namespace and name, and the CR under test
 * (the last APIGateway of the input) must end `Ready`, or carry the `expectError` text.
 */
import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import type { KubeObject } from "../../api/meta.ts";
import { matchSubset } from "../../tests/conformance/judge.ts";
import { OFFLINE_CRDS } from "../installed_crds.ts";
import { reconcileAll } from "../reconcile_all.ts";
import { groupOf } from "../snapshot.ts";
import { isRecord, stringAt } from "./_read.ts";
import { planAPIGateway } from "./plan.ts";

const CASES_DIR = new URL("../../tests/fixtures/conformance/apigateway/", import.meta.url);
const NOW = new Date("2026-01-01T00:00:00Z");
const HASH_LABEL = "metadata.labels.gateway.kyma-project.io/hash";

Deno.test("planAPIGateway() passes every APIGateway conformance case", async (t) => {
  const files = [...Deno.readDirSync(CASES_DIR)]
    .filter((entry) => entry.isFile && /\.ya?ml$/.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  assert.ok(files.length > 0, `no cases in ${CASES_DIR.pathname}`);
  for (const file of files) {
    await t.step(file, () => {
      const raw: unknown = parse(Deno.readTextFileSync(new URL(file, CASES_DIR)));
      const input = objectsOf(stringAt(raw, "input") ?? "");
      const planned = reconcileAll(input, {
        planners: [{
          group: "operator.kyma-project.io",
          kind: "APIGateway",
          order: 0,
          planner: planAPIGateway,
        }],
        crds: OFFLINE_CRDS,
        now: NOW,
      });
      const output = planned.flatMap(({ plan }) => [...plan.apply, ...(plan.cr ? [plan.cr] : [])]);
      const underTest = input.filter((o) => o.kind === "APIGateway").at(-1);
      const plan = planned.find((p) => p.input === underTest)?.plan;
      assert.ok(plan !== undefined, "the case has no APIGateway");
      const expectError = stringAt(raw, "expectError");
      if (expectError === undefined) {
        assert.equal(plan.state, "Ready", plan.description);
        const failing = planned.filter((p) => p.plan.state !== "Ready" && p.plan.cr !== undefined);
        assert.deepEqual(failing.map((p) => p.plan.description), [], "render would exit 1");
      } else {
        assert.notEqual(plan.state, "Ready", "render would exit 0");
        assert.ok(plan.description.includes(expectError), plan.description);
      }
      const expected = isRecord(raw) && Array.isArray(raw.expect) ? raw.expect : [];
      for (const [index, object] of expected.entries()) {
        const actual = output.find((o) => sameObject(object, o));
        assert.ok(actual !== undefined, `expect[${index}] is not in the output`);
        // The version is not compared (apigw emits Istio v1): the group matched above.
        const skip = (path: string) => path === HASH_LABEL || path === "apiVersion";
        const misses = matchSubset(object, actual, "", { skip });
        assert.deepEqual(misses, [], `expect[${index}] does not match`);
      }
    });
  }
});

function objectsOf(yaml: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const document of parseAllDocuments(yaml)) {
    const value: unknown = document.toJS();
    if (!isRecord(value)) continue;
    const { apiVersion, kind, metadata } = value;
    if (typeof apiVersion !== "string" || typeof kind !== "string") continue;
    objects.push({
      ...value,
      apiVersion,
      kind,
      metadata: isRecord(metadata) ? { ...metadata } : {},
    });
  }
  return objects;
}

function sameObject(expected: unknown, actual: KubeObject): boolean {
  const apiVersion = stringAt(expected, "apiVersion") ?? "";
  return groupOf(apiVersion) === groupOf(actual.apiVersion) &&
    stringAt(expected, "kind") === actual.kind &&
    (stringAt(expected, "metadata", "namespace") ?? "") === (actual.metadata.namespace ?? "") &&
    stringAt(expected, "metadata", "name") === actual.metadata.name;
}
