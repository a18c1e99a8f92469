/**
 * CPU per admission review, without a cluster (bench/README.md, "admission: apigw's own
 * histogram"): the webhook app the operator serves (`createWebhookApp`, in-process through
 * `app.request`) answers N validating AdmissionReviews of each case after a warm-up, and the
 * process's CPU time over the loop (`process.cpuUsage`) divided by N is reported next to the
 * median, p90 and p99 of the app's own compute time (what `apigw_webhook_compute_duration_seconds`
 * records). Each review names a different object (name and host), as a burst of creates does.
 * `--profile` also samples a CPU profile of the measured loops (in-process, `node:inspector`)
 * and prints the top self-time functions and origins.
 *
 *   deno run -A bench/admission_cpu.ts [--reviews 2000] [--warmup 300] [--profile] [--top 25]
 */
import process from "node:process";
import { Session } from "node:inspector";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { createLogger } from "../lib/log.ts";
import { createWebhookApp, type ReviewTiming, VALIDATE_APIRULE_PATH } from "../webhook/app.ts";
import { type CpuProfile, shares } from "./_cpu_profile.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    reviews: { type: "string", default: "2000" },
    warmup: { type: "string", default: "300" },
    profile: { type: "boolean", default: false },
    top: { type: "string", default: "25" },
  },
});
const REVIEWS = Number(values.reviews);
const WARMUP = Number(values.warmup);
const ROOT = new URL("../", import.meta.url).pathname;

type Json = Record<string, unknown>;

/** The APIRule `bench/admission.ts` creates: one `noAuth` rule. */
function benchSpec(i: number): Json {
  return {
    hosts: [`r-${i}.bench.local`],
    gateway: "kyma-system/kyma-gateway",
    service: { name: "httpbin", port: 8000 },
    rules: [{ path: "/a", methods: ["GET"], noAuth: true }],
  };
}

/** tests/golden/apirule-v2-mixed-strategies: every access strategy, CORS, headers, timeouts. */
const MIXED = await (async () => {
  const text = await Deno.readTextFile(
    new URL("../tests/golden/apirule-v2-mixed-strategies/input.yaml", import.meta.url),
  );
  const first = parseYaml(text.split(/^---$/m)[0]!) as Json;
  return first.spec as Json;
})();

function mixedSpec(i: number): Json {
  return { ...structuredClone(MIXED), hosts: [`shop-${i}`] };
}

interface Case {
  name: string;
  version: "v2" | "v2alpha1";
  spec: (i: number) => Json;
  /** CREATE unless set; a DELETE is answered without validation: the app's own floor. */
  operation?: "DELETE";
}

const CASES: Case[] = [
  { name: "v2, one noAuth rule (bench/admission.ts)", version: "v2", spec: benchSpec },
  { name: "v2alpha1, one noAuth rule", version: "v2alpha1", spec: benchSpec },
  { name: "v2, mixed strategies + CORS (golden)", version: "v2", spec: mixedSpec },
  { name: "v2alpha1, mixed strategies + CORS", version: "v2alpha1", spec: mixedSpec },
  {
    name: "floor: DELETE of the v2 rule, not validated",
    version: "v2",
    spec: benchSpec,
    operation: "DELETE",
  },
];

/** A review as the apiserver sends it: server-set metadata and one managedFields entry. */
function reviewBody(c: Case, i: number): string {
  const name = `r-${i}`;
  const apiVersion = `gateway.kyma-project.io/${c.version}`;
  const object = {
    apiVersion,
    kind: "APIRule",
    metadata: {
      name,
      namespace: "bench",
      uid: crypto.randomUUID(),
      generation: 1,
      creationTimestamp: "2026-12-08T01:21:00Z",
      managedFields: [{
        manager: "bench",
        operation: "Update",
        apiVersion,
        time: "2026-12-08T01:21:00Z",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:spec": { ".": {}, "f:gateway": {}, "f:hosts": {}, "f:rules": {} } },
      }],
    },
    spec: c.spec(i),
  };
  const deleting = c.operation === "DELETE";
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: crypto.randomUUID(),
      kind: { group: "gateway.kyma-project.io", version: c.version, kind: "APIRule" },
      resource: { group: "gateway.kyma-project.io", version: c.version, resource: "apirules" },
      requestKind: { group: "gateway.kyma-project.io", version: c.version, kind: "APIRule" },
      requestResource: {
        group: "gateway.kyma-project.io",
        version: c.version,
        resource: "apirules",
      },
      name,
      namespace: "bench",
      operation: c.operation ?? "CREATE",
      userInfo: { username: "system:admin", groups: ["system:masters", "system:authenticated"] },
      object: deleting ? null : object,
      oldObject: deleting ? object : null,
      dryRun: false,
      options: {
        apiVersion: "meta.k8s.io/v1",
        kind: deleting ? "DeleteOptions" : "CreateOptions",
      },
    },
  });
}

const timings: ReviewTiming[] = [];
const app = createWebhookApp({
  convert: (object) => ({ ok: true, value: object }),
  log: createLogger({ level: "error", write: () => {} }),
  observe: (t) => timings.push(t),
});

async function review(body: string): Promise<boolean> {
  const response = await app.request(VALIDATE_APIRULE_PATH, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const answer = await response.json();
  if (response.status !== 200) throw new Error(`Review answered ${response.status}`);
  return answer.response.allowed === true;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const profiles: Array<{ name: string; profile: CpuProfile }> = [];
const session = values.profile ? new Session() : undefined;
function post(method: string, params: Json = {}): Promise<unknown> {
  return new Promise((resolve, reject) =>
    session!.post(method, params, (error, result) => error ? reject(error) : resolve(result))
  );
}
if (session !== undefined) {
  session.connect();
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
}

console.log(`${REVIEWS} reviews per case after ${WARMUP} of warm-up (in-process app.request)\n`);
console.log("| case | allowed | CPU per review | compute p50 | compute p90 | compute p99 |");
console.log("| --- | --- | ---: | ---: | ---: | ---: |");
for (const c of CASES) {
  const warm = Array.from({ length: WARMUP }, (_, i) => reviewBody(c, 1_000_000 + i));
  const bodies = Array.from({ length: REVIEWS }, (_, i) => reviewBody(c, i));
  for (const body of warm) await review(body);
  timings.length = 0;
  if (session !== undefined) await post("Profiler.start");
  let allowed = 0;
  const before = process.cpuUsage();
  for (const body of bodies) if (await review(body)) allowed++;
  const used = process.cpuUsage(before);
  if (session !== undefined) {
    const { profile } = await post("Profiler.stop") as { profile: CpuProfile };
    profiles.push({ name: c.name, profile });
  }
  const cpuUs = (used.user + used.system) / REVIEWS;
  const compute = timings.map((t) => t.computeSeconds * 1e6).sort((a, b) => a - b);
  const at = (q: number) => `${percentile(compute, q).toFixed(0)} µs`;
  console.log(
    `| ${c.name} | ${allowed}/${REVIEWS} | ${cpuUs.toFixed(0)} µs | ${at(0.5)} | ${at(0.9)} | ${
      at(0.99)
    } |`,
  );
}

const top = Number(values.top);
for (const { name, profile } of profiles) {
  const { functions, origins } = shares(profile, ROOT);
  console.log(`\nself time, ${name}:`);
  for (const f of functions.slice(0, top)) {
    console.log(`  ${f.percent.toFixed(1).padStart(5)} %  ${f.name}`);
  }
  console.log(
    "  by origin: " +
      origins.slice(0, 8).map((o) => `${o.name} ${o.percent.toFixed(1)} %`).join(", "),
  );
}
session?.disconnect();
