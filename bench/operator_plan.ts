/**
 * Planning cost per APIRule against the operator's cache, without a cluster (bench/README.md,
 * "operator planning"): a `ClusterCache` (no informer runs; objects go in as apigw's own writes do)
 * holds the Istio CRDs, `kyma-system/kyma-gateway`, N Services, N APIRules (storage version) and,
 * unless `--cold`, the VirtualService and AuthorizationPolicy each APIRule owns. Then `--sample`
 * APIRules, spread over all N, are planned as the operator does, in two passes:
 *
 * - `storm`: each plan's objects and status are written back into the cache (as `executePlan`
 *   does), so every reconcile sees a cache changed by the one before (the cold start);
 * - `steady`: nothing changes between reconciles (a resync of an idle cluster).
 *
 *   deno run -A bench/operator_plan.ts [--apirules 1000] [--sample 1000] [--cold]
 *
 * Add `--cpu-prof` to `deno run` for the functions that take the time.
 */
import process from "node:process";
import { parseArgs } from "node:util";
import type { KubeObject } from "../api/meta.ts";
import { planAPIRule } from "../core/apirule/plan.ts";
import { authorizationPoliciesFor } from "../core/apirule/authorization_policies.ts";
import type { APIRuleContext } from "../core/apirule/context.ts";
import { virtualServiceFor } from "../core/apirule/virtual_service.ts";
import { ClusterCache } from "../controllers/cache.ts";
import type { KubeClient } from "../kube/client.ts";
import { KubeError } from "../kube/errors.ts";
import { createLogger } from "../lib/log.ts";
import { kymaGateway, service } from "../tests/operator/_fixtures.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    apirules: { type: "string", default: "1000" },
    sample: { type: "string", default: "1000" },
    cold: { type: "boolean", default: false },
  },
});
const RULES = Number(values.apirules);
const SAMPLE = Math.min(RULES, Number(values.sample));
const NS = "bench";
const NOW = new Date("2026-12-08T00:00:00Z");

/** The cache reads nothing from the apiserver here: no informer runs. */
const OFFLINE: KubeClient = {
  request: () => Promise.resolve({ ok: false, error: offline() }),
  requestObject: () => Promise.resolve({ ok: false, error: offline() }),
  stream: () => Promise.resolve({ ok: false, error: offline() }),
  close: () => {},
};

function offline(): KubeError {
  return new KubeError("Unavailable", "The benchmark cache has no apiserver");
}

let version = 1;
let uid = 1;
function written(object: KubeObject): KubeObject {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      uid: object.metadata.uid ?? `uid-${uid++}`,
      resourceVersion: String(++version),
    },
  };
}

const cache = new ClusterCache(OFFLINE, createLogger({ level: "error" }));
const CRDS = [
  "virtualservices.networking.istio.io",
  "authorizationpolicies.security.istio.io",
  "requestauthentications.security.istio.io",
].map((name) =>
  written({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name },
  })
);
const GATEWAY = written(kymaGateway("bench.local") as unknown as KubeObject);
for (const object of [...CRDS, GATEWAY]) cache.remember(object);
const rules: KubeObject[] = [];
for (let i = 0; i < RULES; i++) {
  cache.remember(written(service(NS, `svc-${i}`, { app: `app-${i}` }) as unknown as KubeObject));
  const rule = written({
    apiVersion: "gateway.kyma-project.io/v2alpha1",
    kind: "APIRule",
    metadata: { name: `rule-${i}`, namespace: NS, generation: 1 },
    spec: {
      hosts: [`r${i}.bench.local`],
      gateway: "kyma-system/kyma-gateway",
      service: { name: `svc-${i}`, port: 8000 },
      rules: [{ path: "/v0", methods: ["GET"], noAuth: true }],
    },
  });
  cache.remember(rule);
  rules.push(rule);
}

/** Plans `rule` and, when `write`, stores what the operator would write for it. */
function reconcile(rule: KubeObject, write: boolean): { applied: number; deleted: number } {
  const plan = planAPIRule(rule, cache.snapshot(), { now: NOW });
  if (plan.state !== "Ready") {
    throw new Error(`APIRule "${rule.metadata.name}": ${plan.description}`);
  }
  if (write) {
    for (const object of plan.apply) cache.remember(written(named(object)));
    for (const object of plan.delete) cache.forget(object);
    if (plan.cr !== undefined) cache.remember(written(plan.cr));
  }
  return { applied: plan.apply.length, deleted: plan.delete.length };
}

/** An object with only `generateName` gets a name, as `executePlan` gives it before applying. */
function named(object: KubeObject): KubeObject {
  if (object.metadata.name) return object;
  return {
    ...object,
    metadata: { ...object.metadata, name: `${object.metadata.generateName}${uid}` },
  };
}

if (!values.cold) {
  // Each APIRule's owned objects, generated from the context the planner would build (planning
  // each against the full cache here would cost what is measured below, N times). The steady pass
  // reports `deletesPlanned: 0` when they are the objects the planner wants.
  const seeded = performance.now();
  rules.forEach((rule, i) => {
    const context: APIRuleContext = {
      name: `rule-${i}`,
      namespace: NS,
      hosts: [`r${i}.bench.local`],
      gateway: "kyma-system/kyma-gateway",
      rules: [{
        rule: { path: "/v0", methods: ["GET"], noAuth: true },
        service: { name: `svc-${i}`, namespace: NS, port: 8000, selector: { app: `app-${i}` } },
      }],
    };
    for (const object of [virtualServiceFor(context), ...authorizationPoliciesFor(context)]) {
      cache.remember(written(named(object)));
    }
    const finalizers = { finalizers: ["gateway.kyma-project.io/subresources"] };
    cache.remember(written({ ...rule, metadata: { ...rule.metadata, ...finalizers } }));
  });
  console.error(`Seeded owned objects in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
}

const step = RULES / SAMPLE;
const sample = Array.from({ length: SAMPLE }, (_, i) => rules[Math.floor(i * step)]!);
const current = (rule: KubeObject) =>
  cache.get("gateway.kyma-project.io", "APIRule", NS, rule.metadata.name ?? "")!;

/** Wall and CPU (user + system, this process) milliseconds per APIRule. */
function pass(write: boolean) {
  let applied = 0;
  let deleted = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (const rule of sample) {
    const planned = reconcile(current(rule), write);
    applied += planned.applied;
    deleted += planned.deleted;
  }
  const used = process.cpuUsage(cpu);
  return {
    wallMs: (performance.now() - started) / SAMPLE,
    cpuMs: (used.user + used.system) / 1000 / SAMPLE,
    applied,
    deleted,
  };
}

// Warm-up (JIT): planned, nothing written.
for (const rule of sample.slice(0, 50)) reconcile(current(rule), false);
const storm = pass(true);
const steady = pass(false);
console.log(JSON.stringify({
  apirules: RULES,
  sample: SAMPLE,
  ownedSeeded: !values.cold,
  virtualServices: cache.snapshot().list("networking.istio.io", "VirtualService").length,
  authorizationPolicies: cache.snapshot().list("security.istio.io", "AuthorizationPolicy").length,
  stormMsPerAPIRule: { cpu: round(storm.cpuMs), wall: round(storm.wallMs) },
  steadyMsPerAPIRule: { cpu: round(steady.cpuMs), wall: round(steady.wallMs) },
  objectsPlannedPerAPIRule: steady.applied / SAMPLE,
  deletesPlanned: storm.deleted + steady.deleted,
}));

function round(ms: number): number {
  return Number(ms.toFixed(2));
}
