/**
 * Issue 19: a `null` anywhere in a CR gets one verdict from every entry point, the one the cluster
 * gives. Each own object of the conformance inputs, with a `null` injected at one field or list
 * item of its spec at a time, goes through the real apiserver (a dry-run create: its null
 * pruning, defaulting, schema and CEL checks, and apigw's conversion webhook for v2 and v1beta1),
 * and through `api/normalize.ts` plus the offline entry points:
 * - the apiserver accepts it exactly when the offline schema check of the normalised object
 *   passes, and then stores the normalised object (same spec);
 * - `apigw validate` (validateObject) and the admission webhook agree on the raw object, and the
 *   webhook gives the object the apiserver decoded the same verdict;
 * - `apigw render` reconciles it exactly when the apiserver accepts it, and ends in the state it
 *   ends in when it renders the stored object (what the operator reconciles).
 */
import assert from "node:assert/strict";
import { testCluster, uniqueName } from "../cluster/mod.ts";
import { APIRULE_V2ALPHA1, ownKind } from "../../api/kinds.ts";
import { convertAPIRule } from "../../api/conversion/mod.ts";
import { pruneNulls } from "../../api/normalize.ts";
import { validateObject } from "../../api/validation/mod.ts";
import { renderInputs } from "../../cli/render.ts";
import type { InputObject } from "../../cli/input.ts";
import { validateAdmission } from "../../webhook/admission_handlers.ts";
import { loadCorpus } from "../fuzz/campaign.ts";
import { allPaths, showPath } from "../fuzz/mutate.ts";
import { dryRunCreate, formatProblem, offlineProblems } from "./dry_run.ts";

type Json = Record<string, unknown>;

const NOW = new Date("2026-01-01T00:00:00Z");

Deno.test("a null gets the same verdict from the apiserver, validate, admission and render", async (t) => {
  const cluster = testCluster();
  const namespace = uniqueName("nulls");
  await cluster.ensureNamespace(namespace);
  let variants = 0;
  for (const { name, objects } of loadCorpus()) {
    for (const [index, object] of objects.entries()) {
      if (!isRecord(object) || ownKind(object.apiVersion, object.kind) === undefined) continue;
      const { status: _, ...base } = object;
      const paths = allPaths(base, 2000).filter((p) => p[0] === "spec");
      await t.step(`${name}#${index} (${paths.length} nulls)`, async () => {
        const mismatches: string[] = [];
        for (const path of paths) {
          const variant = withNull(base, path);
          const where = `${name}#${index} with ${showPath(path)}: null`;
          const others = objects.filter((o, i) => i !== index && isRecord(o)) as Json[];
          try {
            await checkVariant(cluster, namespace, variant, others, where);
          } catch (error) {
            mismatches.push(error instanceof Error ? error.message : String(error));
          }
          variants++;
        }
        assert.deepEqual(mismatches, []);
      });
    }
  }
  assert.ok(variants > 500, `only ${variants} variants ran`);
});

async function checkVariant(
  cluster: ReturnType<typeof testCluster>,
  namespace: string,
  variant: Json,
  others: readonly Json[],
  where: string,
): Promise<void> {
  const server = await dryRunCreate(cluster, variant, namespace);
  // A 500 is the conversion webhook refusing the object on its way to the storage version.
  assert.ok(
    server.status < 500 || server.message.includes("conversion webhook"),
    `${where}: apiserver ${server.status}: ${server.message}`,
  );
  const normalised = pruneNulls(variant);
  const offline = offlineProblems(normalised);
  const validated = errors(validateObject(variant, {}).problems);
  const converts = !validated.includes("the storage version");
  assert.equal(
    offline.length === 0 && converts,
    server.accepted,
    `${where}: offline [${offline.map(formatProblem).join("; ")}], apiserver (${server.status}): ` +
      server.message,
  );
  const admitted = validateAdmission(review(variant));
  assert.equal(
    validated.length === 0,
    admitted.allowed,
    `${where}: validate ${validated} vs admission`,
  );
  const rendered = render(normalised, others);
  assert.equal(rendered !== undefined, server.accepted, `${where}: render vs apiserver`);
  if (!server.accepted) return;
  // The validating webhook gets the object as the apiserver decoded it, in the request's version.
  assert.equal(
    validateAdmission(review(normalised)).allowed,
    admitted.allowed,
    `${where}: admission`,
  );
  const stored = server.body as Json;
  assert.deepEqual(expectedStored(normalised).spec, stored.spec, `${where}: stored spec`);
  // Writing a v1beta1 APIRule without spec stores `spec: {}` (the conversion round trip), null or
  // not: that object is another one, outside what a null changes.
  if (normalised.spec === undefined && stored.spec !== undefined) return;
  // What the operator reconciles: the stored spec (the metadata stays the input's, since the
  // apiserver's creationTimestamp would reorder objects such as two APIGateways).
  const { spec: _, ...withoutSpec } = normalised;
  assert.equal(
    render(stored.spec === undefined ? withoutSpec : { ...withoutSpec, spec: stored.spec }, others),
    rendered,
    `${where}: render of the stored object`,
  );
}

/**
 * The spec the apiserver hands back: the normalised object, defaulted, and for APIRules read in
 * another version than the storage one, through apigw's conversion there and back.
 */
function expectedStored(object: Json): Json {
  const defaulted = withDefaults(object);
  if (object.kind !== "APIRule" || object.apiVersion === APIRULE_V2ALPHA1) return defaulted;
  const hub = convertAPIRule(defaulted, APIRULE_V2ALPHA1);
  assert.ok(hub.ok, hub.ok ? "" : hub.error.message);
  const back = convertAPIRule(hub.value, String(object.apiVersion));
  assert.ok(back.ok, back.ok ? "" : back.error.message);
  return back.value as unknown as Json;
}

function render(object: Json, others: readonly Json[]): string | undefined {
  const inputs: InputObject[] = [object, ...others].map((value, i) => ({
    source: `#${i}`,
    value: pruneNulls(value),
  }));
  const out = renderInputs(inputs, NOW);
  assert.ok(out.ok, out.ok ? "" : out.error);
  const cr = out.value.out.find((o) => isRecord(o) && o.kind === object.kind && isRecord(o.status));
  if (!isRecord(cr) || !isRecord(cr.status)) return undefined;
  return String(
    cr.status.state ?? (isRecord(cr.status.APIRuleStatus) ? cr.status.APIRuleStatus.code : ""),
  );
}

function review(object: Json) {
  return {
    uid: "nulls",
    operation: "CREATE",
    object,
    oldObject: null,
    apiVersion: String(object.apiVersion),
  };
}

function errors(problems: readonly { severity: string; path: string; message: string }[]): string {
  return problems.filter((p) => p.severity === "error").map((p) => `${p.path}: ${p.message}`).join(
    "; ",
  );
}

/** The apiserver also defaults absent fields; RateLimit `spec.enforce` is our one default. */
function withDefaults(object: Json): Json {
  if (object.kind !== "RateLimit" || !isRecord(object.spec) || "enforce" in object.spec) {
    return object;
  }
  return { ...object, spec: { ...object.spec, enforce: true } };
}

function withNull(object: Json, path: readonly (string | number)[]): Json {
  const copy = structuredClone(object);
  let node: unknown = copy;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
  (node as Record<string | number, unknown>)[path[path.length - 1]!] = null;
  return copy;
}

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
