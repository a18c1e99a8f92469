/**
 * Runs every case of tests/fixtures/conformance/ratelimit/ through `reconcileAll` as `render`
 * does, and judges it by the conformance README: the CR under test (the last RateLimit) ends
 * Ready and the expected objects are matched as subsets by distinct output objects (EnvoyFilter
 * count always exact), or it fails with the expected text in its status description.
 */
import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import type { KubeObject } from "../../api/meta.ts";
import { matchSubset } from "../../tests/conformance/judge.ts";
import { OFFLINE_CRDS } from "../installed_crds.ts";
import { PLANNERS } from "../planners.ts";
import { type PlannedCR, reconcileAll } from "../reconcile_all.ts";
import { groupOf } from "../snapshot.ts";
import { isRecord } from "./_json.ts";

const CASES = new URL("../../tests/fixtures/conformance/ratelimit/", import.meta.url);
const NOW = new Date("2026-01-01T00:00:00Z");
const HASH_LABEL = "metadata.labels.gateway.kyma-project.io/hash";
const OWN_KINDS = new Set(["APIRule", "RateLimit", "APIGateway"]);

interface Case {
  name: string;
  input: string;
  expect: unknown[];
  expectError: string | null;
  subset: boolean;
}

Deno.test("planRateLimit() passes the RateLimit conformance cases", async (t) => {
  const files = [...Deno.readDirSync(CASES)].map((e) => e.name).filter((n) => n.endsWith(".yaml"))
    .sort();
  assert.ok(files.length > 0, `no cases in ${CASES.pathname}`);
  for (const file of files) {
    const tc = readCase(await Deno.readTextFile(new URL(file, CASES)));
    await t.step(tc.name, () => {
      const failures = judge(tc);
      assert.deepEqual(failures, [], failures.join("\n"));
    });
  }
});

function judge(tc: Case): string[] {
  const objects = parseAllDocuments(tc.input).map((d) => d.toJS()).flatMap(asKubeObject);
  const planners = PLANNERS.filter((p) => p.kind === "RateLimit" || p.kind === "APIGateway");
  assert.ok(planners.some((p) => p.kind === "RateLimit"), "PLANNERS has no RateLimit planner");
  const planned = reconcileAll(objects, { planners, crds: OFFLINE_CRDS, now: NOW });
  const output = renderOutput(objects, planned, {
    planAPIGateways: planners.some((p) => p.kind === "APIGateway"),
  });
  const underTest = objects.filter((o) => o.kind === "RateLimit").at(-1);
  const plan = planned.find((p) => p.input === underTest)?.plan;
  if (plan === undefined) return ["the case has no RateLimit to test"];
  if (tc.expectError !== null) {
    const failures = [];
    if (!planned.some((p) => p.plan.cr !== undefined && p.plan.state !== "Ready")) {
      failures.push("expected exit 1, but every CR ended Ready");
    }
    if (!plan.description.includes(tc.expectError)) {
      failures.push(
        `status description ${JSON.stringify(plan.description)} lacks ${
          JSON.stringify(tc.expectError)
        }`,
      );
    }
    return failures;
  }
  if (plan.state !== "Ready") return [`the CR under test ended ${plan.state}: ${plan.description}`];
  return matchObjects(tc.expect, output, tc.subset);
}

/** What render prints: the applied objects and CRs; APIGateways as given when not planned. */
function renderOutput(
  objects: KubeObject[],
  planned: PlannedCR[],
  options: { planAPIGateways: boolean },
) {
  const given = options.planAPIGateways ? [] : objects.filter((o) => o.kind === "APIGateway");
  return [
    ...given,
    ...planned.flatMap(({ plan }) => [...plan.apply, ...(plan.cr ? [plan.cr] : [])]),
  ];
}

function matchObjects(expected: unknown[], output: KubeObject[], subset: boolean): string[] {
  const failures: string[] = [];
  const kinds = new Set(expected.map(kindKey));
  const counted = subset
    ? new Set(["networking.istio.io/EnvoyFilter"])
    : new Set([...kinds, ...output.map(kindKey)]);
  counted.add("networking.istio.io/EnvoyFilter");
  for (const kind of counted) {
    const want = expected.filter((e) => kindKey(e) === kind).length;
    const got = output.filter((o) => kindKey(o) === kind).length;
    const exempt = !kinds.has(kind) && OWN_KINDS.has(kind.split("/")[1] ?? "");
    if (want !== got && !exempt) failures.push(`expected ${want} ${kind}, got ${got}`);
  }
  const used = new Set<KubeObject>();
  for (const [i, object] of expected.entries()) {
    const candidates = output.filter((o) => !used.has(o) && kindKey(o) === kindKey(object));
    const mismatches = candidates.map((c) =>
      matchSubset(object, c, "", { skip: (p) => p === HASH_LABEL })
    );
    const match = mismatches.findIndex((m) => m.length === 0);
    const found = candidates[match];
    if (found !== undefined) {
      used.add(found);
      continue;
    }
    const closest = mismatches.reduce((a, b) => (b.length < a.length ? b : a), [
      "no candidate of that kind",
    ]);
    failures.push(`expect[${i}] (${kindKey(object)}) unmatched:\n  ${closest.join("\n  ")}`);
  }
  return failures;
}

function kindKey(object: unknown): string {
  if (!isRecord(object)) return "?";
  const { apiVersion, kind } = object;
  return `${typeof apiVersion === "string" ? groupOf(apiVersion) : "?"}/${String(kind)}`;
}

function readCase(text: string): Case {
  const raw: unknown = parse(text);
  assert.ok(isRecord(raw), "a case is a map");
  const { name, input, expect, expectError, match } = raw;
  assert.ok(typeof name === "string" && typeof input === "string" && Array.isArray(expect));
  assert.ok(expectError === null || typeof expectError === "string");
  return { name, input, expect, expectError, subset: match === "subset" };
}

// As render reads input documents: any map with a string apiVersion and kind.
function asKubeObject(value: unknown): KubeObject[] {
  if (!isRecord(value)) return [];
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return [];
  return [{ ...value, apiVersion, kind, metadata: isRecord(metadata) ? { ...metadata } : {} }];
}
