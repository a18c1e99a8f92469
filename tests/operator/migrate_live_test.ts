/**
 * A migration with no gap, on a real apiserver with the operator running: an APIRule v1beta1
 * (upstream's noop/allow/no_auth guide example) is applied and reconciled, then the v2 APIRule
 * `apigw migrate` writes for it is applied over it. Every state the VirtualServices,
 * AuthorizationPolicies and Oathkeeper Rules pass through while the operator switches is replayed
 * from the watch events in etcd revision order and evaluated with the Istio authorization model
 * of tests/property (plus Oathkeeper's match for routes to it). Without the temporary
 * AuthorizationPolicy `apigw migrate` prints, the operator's first v2 policy denies requests both
 * versions allow until the others exist (the test shows that gap, which is why the procedure
 * has the policy); with it applied first and deleted once the v2 APIRule is Ready, no token-less
 * request from the ingress gateway that both versions allow is denied in any state.
 */
import assert from "node:assert/strict";
import { poll, testCluster, uniqueName } from "../cluster/mod.ts";
import { migrateAPIRule } from "../../core/migrate/rewrite.ts";
import { migrateCommand } from "../../cli/migrate.ts";
import { probePaths } from "../../core/migrate/probes.ts";
import {
  OATHKEEPER_PRINCIPAL,
  sharedWorkloads,
  TEMPORARY_POLICY_NAME,
} from "../../core/migrate/workload.ts";
import { INGRESS_PRINCIPAL } from "../../core/apirule/labels.ts";
import type { AuthorizationPolicy, HTTPRoute } from "../../core/istio/types.ts";
import { decide, routeOf } from "../property/istio_authz_model.ts";
import {
  applyAll,
  at,
  ISTIO_NETWORKING,
  ISTIO_SECURITY,
  items,
  type Json,
  kymaGateway,
  object,
  service,
} from "./_fixtures.ts";
import { markOathkeeperAvailable } from "./_live_case.ts";
import { operatorAccess, type OperatorProcess, startOperator } from "./_operator.ts";

const DOMAIN = "example.com";
const METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE"];
const WAIT = { timeoutMs: 30_000, intervalMs: 100 };
const ALL_METHODS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
];

interface State {
  virtualServices: Json[];
  policies: Json[];
  oathkeeperRules: Json[];
}

type Cluster = ReturnType<typeof testCluster>;

Deno.test("migrate live: with the temporary policy no request both versions allow is denied", async (t) => {
  const cluster = testCluster();
  await cluster.reset();
  const kubeconfig = await operatorAccess(cluster);
  const operator = await startOperator(cluster, kubeconfig, { name: "migrate" });
  try {
    await applyAll(cluster, [kymaGateway(DOMAIN)]);
    await t.step("without it, the operator's one-by-one policies leave a gap", async () => {
      const run = await switchToV2(cluster, operator, {
        temporaryPolicy: false,
        names: ["httpbin"],
      });
      assert.ok(run.gaps.length > 0, `no gap in ${run.states.length} states: the docs overstate`);
    });
    await t.step("with it (applied first, deleted last), every state allows them", async () => {
      const run = await switchToV2(cluster, operator, {
        temporaryPolicy: true,
        names: ["httpbin"],
      });
      assert.deepEqual(run.gaps, [], run.states.join("\n"));
      assert.ok(run.states.length > 3, run.states.join("\n"));
      console.log(`${run.states.length} states, ${run.both} requests allowed by both versions:`);
      for (const state of run.states) console.log(`  ${state}`);
    });
    await t.step("two APIRules on one workload, switched one after the other (#1281)", async () => {
      const run = await switchToV2(cluster, operator, {
        temporaryPolicy: true,
        names: ["example1", "example2"],
      });
      assert.deepEqual(run.gaps, [], run.states.join("\n"));
    });
  } finally {
    await operator.stop();
  }
});

/**
 * Applies upstream's noop/allow/no_auth example as v1beta1 APIRules `names` (one host each, one
 * workload) in a namespace of its own and waits for their reconcile; then (after the temporary
 * policy `apigw migrate` prints, if asked) applies the v2 APIRules `apigw migrate` writes one
 * after the other, each until Ready, deletes the temporary policy, and evaluates every state in
 * between.
 */
async function switchToV2(
  cluster: Cluster,
  operator: OperatorProcess,
  options: { temporaryPolicy: boolean; names: string[] },
): Promise<{ gaps: string[]; states: string[]; both: number }> {
  const ns = uniqueName("migrate");
  const selector = { app: "httpbin" };
  const backend = service(ns, "httpbin", selector);
  const v1beta1s: Json[] = options.names.map((name) => ({
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name, namespace: ns },
    spec: {
      host: `${name}-${ns}.${DOMAIN}`,
      service: { name: "httpbin", namespace: ns, port: 8000 },
      gateway: "kyma-gateway.kyma-system",
      rules: [
        { path: "/anything", methods: ["POST"], accessStrategies: [{ handler: "noop" }] },
        { path: "/headers", methods: ["HEAD"], accessStrategies: [{ handler: "allow" }] },
        { path: "/.*", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] },
      ],
    },
  }));
  const migrated = v1beta1s.map((v1beta1) => {
    const result = migrateAPIRule(v1beta1, {
      issuers: new Map(),
      providerName: "apigw-authz",
      pureIstio: false,
    });
    assert.ok(result.ok);
    return result.value;
  });
  const [workload, ...others] = sharedWorkloads(
    migrated.map((m) => ({ namespace: ns, name: m.name, spec: m.v1beta1Spec })),
    [backend, kymaGateway(DOMAIN)],
  );
  assert.equal(others.length, 0, "one workload");
  assert.ok(workload?.policy !== undefined, "migrate prints no temporary policy");
  const requests = migrated.flatMap((m) =>
    probePaths(m).flatMap(({ path }) =>
      METHODS.map((method) => ({ host: m.v1beta1Spec.host, method, path }))
    )
  );
  const collections = {
    virtualServices: `${ISTIO_NETWORKING}/namespaces/${ns}/virtualservices`,
    policies: `${ISTIO_SECURITY}/namespaces/${ns}/authorizationpolicies`,
    oathkeeperRules: `/apis/oathkeeper.ory.sh/v1alpha1/namespaces/${ns}/rules`,
  } as const;
  const read = async (): Promise<State> => ({
    virtualServices: await items(cluster, collections.virtualServices),
    policies: await items(cluster, collections.policies),
    oathkeeperRules: await items(cluster, collections.oathkeeperRules),
  });
  const allowedIn = (state: State) =>
    new Set(
      requests.filter((r) => allows(state, r, selector)).map((r) =>
        `${r.method} ${r.host}${r.path}`
      ),
    );

  await applyAll(cluster, [backend, ...v1beta1s]);
  for (const name of options.names) {
    const v1path = `/apis/gateway.kyma-project.io/v1beta1/namespaces/${ns}/apirules/${name}`;
    await poll(async () => {
      await markOathkeeperAvailable(cluster);
      const code = at(await object(cluster, v1path), "status", "APIRuleStatus", "code");
      return code === "OK" || undefined;
    }, { ...WAIT, what: `the v1beta1 APIRule ${name} to be reconciled` });
  }
  await operator.waitIdle();
  const before = await read();
  const allowedBefore = allowedIn(before);
  if (options.temporaryPolicy && migrated.length === 1) {
    // What `apigw migrate --cluster` reads from the stored object is what -f reads from the file.
    const cli = await migrateCli([
      "--cluster",
      "--kubeconfig",
      cluster.kubeconfigPath,
      "-o",
      "json",
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout), migrated[0]!.v2);
    assert.match(cli.stderr, new RegExp(`Workload ${ns}/httpbin \\(APIRule ${ns}/httpbin\\)`));
    assert.match(cli.stderr, /name: allow-migration/);
  }
  assert.ok(allowedBefore.size > 0, "the v1beta1 state allows nothing: the model is off");

  // Every state the cluster passes through: the watch events since the v1beta1 state, of all
  // three kinds, replayed in etcd revision order (one etcd: revisions order all writes).
  const since = await revisionOf(cluster, collections.virtualServices);
  if (options.temporaryPolicy) await applyAll(cluster, [workload.policy]);
  for (const m of migrated) {
    await applyAll(cluster, [m.v2]);
    const v2path = `/apis/gateway.kyma-project.io/v2/namespaces/${ns}/apirules/${m.name}`;
    await poll(async () => {
      const rule = await object(cluster, v2path);
      const original = at(
        rule,
        "metadata",
        "annotations",
        "gateway.kyma-project.io/original-version",
      );
      return original === "v2" && at(rule, "status", "state") === "Ready" ? true : undefined;
    }, { ...WAIT, what: `the v2 APIRule ${m.name} to be Ready` });
    await operator.waitIdle();
  }
  if (options.temporaryPolicy) {
    const path = `${collections.policies}/${TEMPORARY_POLICY_NAME}`;
    const deleted = await cluster.request("DELETE", path);
    assert.ok(deleted.status < 300, deleted.text);
    await operator.waitIdle();
  }
  const after = await read();
  assert.equal(after.oathkeeperRules.length, 0, "the v1beta1 Oathkeeper Rules are gone");

  const events: { kind: keyof State; type: string; object: Json; revision: number }[] = [];
  for (const [kind, path] of Object.entries(collections) as [keyof State, string][]) {
    for (const event of await eventsSince(cluster, path, since)) events.push({ kind, ...event });
  }
  events.sort((a, b) => a.revision - b.revision);
  const observed = new Map<string, State>([[JSON.stringify(fingerprint(before)), before]]);
  let state = before;
  for (const event of events) {
    const uid = at(event.object, "metadata", "uid");
    const others = state[event.kind].filter((o) => at(o, "metadata", "uid") !== uid);
    state = {
      ...state,
      [event.kind]: event.type === "DELETED" ? others : [...others, event.object],
    };
    observed.set(JSON.stringify(fingerprint(state)), state);
  }
  observed.set(JSON.stringify(fingerprint(after)), after);

  const allowedAfter = allowedIn(after);
  const both = [...allowedBefore].filter((r) => allowedAfter.has(r));
  assert.ok(both.length > 0, "no request is allowed by both versions");
  const gaps: string[] = [];
  for (const s of observed.values()) {
    const allowed = allowedIn(s);
    const denied = both.filter((r) => !allowed.has(r));
    if (denied.length > 0) gaps.push(`${summary(s)}: denies ${denied.join(", ")}`);
  }
  return { gaps, states: [...observed.values()].map(summary), both: both.length };
}

async function migrateCli(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await migrateCommand.run(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: () => undefined,
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

/** The resourceVersion of a list: the etcd revision the v1beta1 state was read at. */
async function revisionOf(cluster: Cluster, path: string): Promise<string> {
  const response = await cluster.request("GET", path);
  const revision = at(response.json, "metadata", "resourceVersion");
  assert.equal(typeof revision, "string", `no resourceVersion listing ${path}`);
  return revision as string;
}

/** The watch events of a collection after `revision`, until the server ends the watch. */
async function eventsSince(
  cluster: Cluster,
  path: string,
  revision: string,
): Promise<{ type: string; object: Json; revision: number }[]> {
  const response = await cluster.request(
    "GET",
    `${path}?watch=true&resourceVersion=${revision}&timeoutSeconds=2`,
  );
  assert.equal(response.status, 200, response.text);
  return response.text.split("\n").filter((line) => line.trim() !== "").map((line) => {
    const event = JSON.parse(line) as { type: string; object: Json };
    return {
      ...event,
      revision: Number(at(event.object, "metadata", "resourceVersion")),
    };
  }).filter((e) => e.type !== "BOOKMARK");
}

/** One line per state: routes to Oathkeeper, policies, Oathkeeper Rules. */
function summary(state: State): string {
  const routes = state.virtualServices.flatMap((v) => (at(v, "spec", "http") ?? []) as Json[]);
  const viaOathkeeper =
    routes.filter((r) => String(at(r, "route", 0, "destination", "host")).includes("oathkeeper"))
      .length;
  return `${routes.length} routes (${viaOathkeeper} to Oathkeeper), ` +
    `${state.policies.length} AuthorizationPolicies, ${state.oathkeeperRules.length} Oathkeeper Rules`;
}

/** What decides requests in a state, for telling states apart and for messages. */
function fingerprint(state: State): unknown {
  return {
    vs: state.virtualServices.map((v) => at(v, "spec", "http")),
    ap: state.policies.map((p) => [at(p, "metadata", "name"), at(p, "spec")]),
    rules: state.oathkeeperRules.map((r) => at(r, "spec", "match")),
  };
}

/**
 * Whether a token-less request from the ingress gateway reaches the workload: the VirtualService
 * route (first match), Oathkeeper's rule when the route goes to it (only token-less handlers
 * let it through, with Oathkeeper's identity), then the workload's AuthorizationPolicies.
 */
function allows(
  state: State,
  request: { host: string; method: string; path: string },
  selector: Record<string, string>,
): boolean {
  const vs = state.virtualServices.find((v) =>
    (at(v, "spec", "hosts") as string[] | undefined)?.includes(request.host)
  );
  if (vs === undefined) return false;
  const routes = ((at(vs, "spec", "http") ?? []) as HTTPRoute[])
    .map((r) => ({ ...r, match: r.match ?? [{ uri: { prefix: "/" } }] }));
  const route = routeOf(routes, request);
  if (route === -1) return false;
  const destination = String(at(routes[route], "route", 0, "destination", "host") ?? "");
  let principal = INGRESS_PRINCIPAL;
  if (destination.includes("oathkeeper")) {
    const rule = state.oathkeeperRules.find((r) =>
      (at(r, "spec", "match", "methods") as string[]).includes(request.method) &&
      oathkeeperUrl(String(at(r, "spec", "match", "url"))).test(
        `https://${request.host}${request.path}`,
      )
    );
    const handler = String(at(rule, "spec", "authenticators", 0, "handler") ?? "");
    if (!["noop", "allow", "no_auth", "anonymous"].includes(handler)) return false;
    principal = OATHKEEPER_PRINCIPAL;
  }
  const policies = state.policies
    .filter((p) => selects(p, selector))
    .map(normalizedPolicy);
  const decision = decide(policies, request, principal);
  if (decision.customProviders.length > 0) return false;
  const allowPolicies = policies.filter((p) => p.spec.action !== "CUSTOM");
  return allowPolicies.length === 0 || decision.allowedWithoutToken;
}

/** Oathkeeper's `<…>` regex syntax in a match URL, as an anchored RegExp. */
function oathkeeperUrl(url: string): RegExp {
  const source = url.split(/(<[^>]*>)/).map((part) =>
    part.startsWith("<") ? `(?:${part.slice(1, -1)})` : part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
  ).join("");
  return new RegExp(`^${source}$`);
}

function selects(policy: Json, labels: Record<string, string>): boolean {
  const matchLabels = (at(policy, "spec", "selector", "matchLabels") ?? {}) as Record<
    string,
    string
  >;
  return Object.entries(matchLabels).every(([k, v]) => labels[k] === v);
}

/** The model reads `to[].operation.methods/paths`; a rule or operation without them means any. */
function normalizedPolicy(policy: Json): AuthorizationPolicy {
  const spec = (policy.spec ?? {}) as Record<string, unknown>;
  const rules = (Array.isArray(spec.rules) ? spec.rules : []) as Record<string, unknown>[];
  return {
    ...policy,
    spec: {
      ...spec,
      // The model's type knows CUSTOM and (absent) ALLOW; our policies have no DENY.
      action: spec.action === "CUSTOM" ? "CUSTOM" : undefined,
      rules: rules.map((rule) => ({
        ...rule,
        to: (Array.isArray(rule.to) ? rule.to : [{ operation: {} }]).map((t: Json) => ({
          operation: {
            methods: ALL_METHODS,
            paths: ["/{**}"],
            ...(t.operation as Json | undefined),
          },
        })),
      })),
    },
  } as unknown as AuthorizationPolicy;
}
