/**
 * The operator keeps the cluster in line with the CRs after the first reconcile: changes to an
 * APIRule, to the Service or Gateway it depends on and hand edits of what it owns are reconciled
 * back; removing a rule deletes exactly its policies; deleting an APIRule or RateLimit removes
 * everything it owned (no garbage collector runs here); look-alike objects it does not own are
 * never touched; an APIGateway's deletion waits for the APIRules that block it.
 */
import assert from "node:assert/strict";
import { installCrds, readCrds } from "../cluster/crds.ts";
import { poll, testCluster, uniqueName } from "../cluster/mod.ts";
import {
  API_GATEWAY,
  apiRule,
  APIRULES_V2,
  applyAll,
  at,
  ISTIO_NETWORKING,
  ISTIO_SECURITY,
  items,
  type Json,
  kymaGateway,
  meta,
  object,
  ownedBy,
  service,
  sidecarPod,
} from "./_fixtures.ts";
import { markOathkeeperAvailable } from "./_live_case.ts";
import { operatorAccess, startOperator } from "./_operator.ts";

const VS = `${ISTIO_NETWORKING}/virtualservices`;
const AP = `${ISTIO_SECURITY}/authorizationpolicies`;
const WAIT = { timeoutMs: 20_000, intervalMs: 100 };

Deno.test("operator reconciles updates, deletions and leaves look-alikes alone", async (t) => {
  const cluster = testCluster();
  await cluster.reset();
  const kubeconfig = await operatorAccess(cluster);
  const operator = await startOperator(cluster, kubeconfig, { name: "lifecycle" });
  const ns = uniqueName("life");
  const backend = uniqueName("backend");
  const rulePath = (name = "httpbin", namespace = ns) =>
    `${APIRULES_V2}/namespaces/${namespace}/apirules/${name}`;
  const stateOf = async (name = "httpbin", namespace = ns) =>
    at(await object(cluster, rulePath(name, namespace)), "status", "state");
  const waitReady = (name = "httpbin", namespace = ns) =>
    poll(async () => (await stateOf(name, namespace)) === "Ready" || undefined, {
      ...WAIT,
      what: `APIRule ${namespace}/${name} to be Ready`,
    });
  const lookAlikes: Json[] = [
    {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "httpbin-lookalike", namespace: ns },
      spec: { hosts: ["other.example.com"], http: [{ route: [{ destination: { host: "x" } }] }] },
    },
    {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: {
        name: "other-rules-policy",
        namespace: backend,
        labels: {
          "apirule.gateway.kyma-project.io/name": "other",
          "apirule.gateway.kyma-project.io/namespace": ns,
        },
      },
      spec: { action: "ALLOW", rules: [{}] },
    },
    {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: {
        name: "half-labelled-policy",
        namespace: backend,
        labels: { "apirule.gateway.kyma-project.io/name": "httpbin" },
      },
      spec: { action: "ALLOW", rules: [{}] },
    },
  ];
  const lookAlikePaths = [
    `${ISTIO_NETWORKING}/namespaces/${ns}/virtualservices/httpbin-lookalike`,
    `${ISTIO_SECURITY}/namespaces/${backend}/authorizationpolicies/other-rules-policy`,
    `${ISTIO_SECURITY}/namespaces/${backend}/authorizationpolicies/half-labelled-policy`,
  ];
  try {
    await applyAll(cluster, [kymaGateway("example.com"), ...lookAlikes]);
    const before = await Promise.all(lookAlikePaths.map((p) => object(cluster, p)));

    await t.step("a new APIRule gets its finalizer, VirtualService and policies", async () => {
      await applyAll(cluster, [
        service(backend, "httpbin", { app: "httpbin" }),
        apiRule(ns, "httpbin", {
          host: "httpbin",
          service: { name: "httpbin", namespace: backend },
          paths: ["/a", "/b"],
        }),
      ]);
      await waitReady();
      const rule = await object(cluster, rulePath());
      assert.deepEqual(at(rule, "metadata", "finalizers"), [
        "gateway.kyma-project.io/subresources",
      ]);
      const vs = await ownedBy(cluster, VS, ns, "httpbin");
      assert.equal(vs.length, 1);
      assert.deepEqual(at(vs[0], "spec", "hosts"), ["httpbin.example.com"], "short host expanded");
      assert.equal((await ownedBy(cluster, AP, ns, "httpbin")).length, 2);
    });

    await t.step("removing a rule deletes exactly its policy", async () => {
      const policies = await ownedBy(cluster, AP, ns, "httpbin");
      // The /b policy names /a too (in notPaths): pick the one whose paths are /a.
      const kept = policies.find((p) =>
        JSON.stringify(at(p, "spec", "rules", 0, "to", 0, "operation", "paths")) === '["/a"]'
      );
      assert.ok(kept !== undefined);
      await applyAll(cluster, [
        apiRule(ns, "httpbin", {
          host: "httpbin",
          service: { name: "httpbin", namespace: backend },
          paths: ["/a"],
        }),
      ]);
      const after = await poll(async () => {
        const now = await ownedBy(cluster, AP, ns, "httpbin");
        return now.length === 1 ? now : undefined;
      }, { ...WAIT, what: "one policy left" });
      assert.equal(meta(after[0]!).uid, meta(kept).uid, "the /a policy is the same object");
      const vs = await ownedBy(cluster, VS, ns, "httpbin");
      assert.equal((at(vs[0], "spec", "http") as unknown[]).length, 1);
    });

    await t.step("a Service selector change moves the policy to the new selector", async () => {
      await applyAll(cluster, [service(backend, "httpbin", { app: "httpbin-v2" })]);
      await poll(async () => {
        const policies = await ownedBy(cluster, AP, ns, "httpbin");
        const selectors = policies.map((p) => at(p, "spec", "selector", "matchLabels", "app"));
        return policies.length === 1 && selectors[0] === "httpbin-v2" ? true : undefined;
      }, { ...WAIT, what: "the policy to select app=httpbin-v2" });
    });

    await t.step("a Gateway domain change re-resolves the short host", async () => {
      await applyAll(cluster, [kymaGateway("other.example.org")]);
      await poll(async () => {
        const vs = await ownedBy(cluster, VS, ns, "httpbin");
        return JSON.stringify(at(vs[0], "spec", "hosts")) === '["httpbin.other.example.org"]' ||
          undefined;
      }, { ...WAIT, what: "the VirtualService host to follow the Gateway" });
    });

    await t.step("a hand-edited VirtualService is reverted", async () => {
      const [vs] = await ownedBy(cluster, VS, ns, "httpbin");
      const path = `${ISTIO_NETWORKING}/namespaces/${ns}/virtualservices/${meta(vs!).name}`;
      const edited = await cluster.request(
        "PATCH",
        `${path}?fieldManager=kubectl-edit`,
        { spec: { hosts: ["hijacked.example.com"] } },
        "application/merge-patch+json",
      );
      assert.equal(edited.status, 200, edited.text);
      assert.deepEqual(at(edited.json, "spec", "hosts"), ["hijacked.example.com"]);
      await poll(async () => {
        const hosts = JSON.stringify(at(await object(cluster, path), "spec", "hosts"));
        return hosts === '["httpbin.other.example.org"]' || undefined;
      }, { ...WAIT, what: "the edit to be reverted" });
    });

    await t.step("a field dropped from the desired object is removed from it", async () => {
      const ext = (rule: Json) => ({
        apiVersion: "gateway.kyma-project.io/v2",
        kind: "APIRule",
        metadata: { name: "ext", namespace: ns },
        spec: {
          hosts: ["ext.example.com"],
          gateway: "kyma-system/kyma-gateway",
          service: { name: "httpbin", namespace: backend, port: 8000 },
          rules: [{ path: "/login", methods: ["GET", "POST"], ...rule }],
        },
      });
      await applyAll(cluster, [
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "istio", namespace: "istio-system" },
          data: {
            mesh: "extensionProviders:\n- name: ext-authz\n  envoyExtAuthzHttp:\n" +
              "    service: ext-authz.ext-authz.svc.cluster.local\n    port: 8000\n",
          },
        },
        ext({ extAuth: { authorizers: ["ext-authz"] } }),
      ]);
      const custom = await poll(async () => {
        const policies = await ownedBy(cluster, AP, ns, "ext");
        return policies.find((p) => at(p, "spec", "action") === "CUSTOM");
      }, { ...WAIT, what: "the CUSTOM policy" });
      assert.ok(at(custom, "spec", "provider") !== undefined);
      await applyAll(cluster, [ext({ noAuth: true })]);
      // The policy keeps its identity (same hash and index) and is updated in place: with
      // server-side apply its `provider` goes only if apigw's first write was an apply too.
      const updated = await poll(async () => {
        const policies = await ownedBy(cluster, AP, ns, "ext");
        const same = policies.find((p) => meta(p).uid === meta(custom).uid);
        // ALLOW is the default action, which the policy leaves out.
        return policies.length === 1 && at(same, "spec", "action") === undefined ? same : undefined;
      }, { ...WAIT, what: "the policy to become ALLOW" });
      assert.equal(at(updated, "spec", "provider"), undefined, "provider left behind");
      assert.equal(at(updated, "metadata", "generateName"), "ext-");
      assert.equal((await cluster.request("DELETE", rulePath("ext"))).status, 200);
    });

    await t.step("an APIRule in Error gets a Warning Event", async () => {
      await applyAll(cluster, [
        apiRule(ns, "broken", { host: "broken", service: { name: "missing" }, paths: ["/"] }),
      ]);
      await poll(async () => (await stateOf("broken")) === "Error" || undefined, WAIT);
      await poll(async () => {
        const events = await items(cluster, `/api/v1/namespaces/${ns}/events`);
        return events.some((e) =>
          at(e, "involvedObject", "name") === "broken" && at(e, "type") === "Warning"
        ) || undefined;
      }, { ...WAIT, what: "a Warning Event on APIRule broken" });
    });

    await t.step("deleting an APIRule removes what it owned in every namespace", async () => {
      const response = await cluster.request("DELETE", rulePath());
      assert.equal(response.status, 200, response.text);
      await poll(async () => (await object(cluster, rulePath())) === undefined || undefined, {
        ...WAIT,
        what: "the APIRule to be gone",
      });
      assert.deepEqual(await ownedBy(cluster, VS, ns, "httpbin"), []);
      assert.deepEqual(await ownedBy(cluster, AP, ns, "httpbin"), []);
    });

    await t.step("look-alike objects were never modified or deleted", async () => {
      await operator.waitIdle();
      const after = await Promise.all(lookAlikePaths.map((p) => object(cluster, p)));
      for (const [i, path] of lookAlikePaths.entries()) {
        assert.ok(after[i] !== undefined, `${path} was deleted`);
        assert.equal(meta(after[i]!).rv, meta(before[i]!).rv, `${path} was modified`);
      }
    });

    await t.step(
      "deleting a RateLimit removes its EnvoyFilter; a foreign one is untouched",
      async () => {
        const rl = uniqueName("rl");
        const envoyFilters = `/apis/networking.istio.io/v1alpha3/namespaces/${rl}/envoyfilters`;
        await applyAll(cluster, [
          API_GATEWAY,
          ...sidecarPod(rl, "web", { app: "web" }),
          {
            apiVersion: "networking.istio.io/v1alpha3",
            kind: "EnvoyFilter",
            metadata: {
              name: "taken",
              namespace: rl,
              ownerReferences: [{
                apiVersion: "apps/v1",
                kind: "Deployment",
                name: "someone",
                uid: crypto.randomUUID(),
                controller: true,
              }],
            },
            spec: { workloadSelector: { labels: { app: "elsewhere" } } },
          },
          rateLimit(rl, "web", { app: "web" }),
        ]);
        await poll(async () => {
          await markOathkeeperAvailable(cluster);
          return (await items(cluster, envoyFilters)).some((f) => meta(f).name === "web") ||
            undefined;
        }, { ...WAIT, what: "the EnvoyFilter of RateLimit web" });
        const foreign = await object(cluster, `${envoyFilters}/taken`);
        await applyAll(cluster, [
          ...sidecarPod(rl, "web2", { app: "web2" }),
          rateLimit(rl, "taken", { app: "web2" }),
        ]);
        const rateLimits = `/apis/gateway.kyma-project.io/v1alpha1/namespaces/${rl}/ratelimits`;
        await poll(async () => {
          const description = String(
            at(await object(cluster, `${rateLimits}/taken`), "status", "description"),
          );
          return description.includes(
            "is already owned by another Deployment controller someone",
          ) ||
            undefined;
        }, { ...WAIT, what: "RateLimit taken to report the foreign controller" });
        assert.equal(meta((await object(cluster, `${envoyFilters}/taken`))!).rv, meta(foreign!).rv);
        assert.equal((await cluster.request("DELETE", `${rateLimits}/web`)).status, 200);
        await poll(
          async () => (await object(cluster, `${envoyFilters}/web`)) === undefined || undefined,
          {
            ...WAIT,
            what: "the EnvoyFilter to be deleted",
          },
        );
        assert.ok((await object(cluster, `${envoyFilters}/taken`)) !== undefined);
        assert.equal((await cluster.request("DELETE", `${rateLimits}/taken`)).status, 200);
      },
    );

    await t.step(
      "spec.global gets a CUSTOM policy: a hand edit is reverted, it goes with spec.global",
      async () => {
        const rl = uniqueName("rlg");
        const policy = `/apis/security.istio.io/v1/namespaces/${rl}/authorizationpolicies/api`;
        const global = {
          key: { clientAddress: { trustedHops: 1 } },
          defaultBucket: { maxTokens: 10, tokensPerFill: 1, fillInterval: "1s" },
        };
        const limited = rateLimit(rl, "api", { app: "api" });
        await applyAll(cluster, [
          API_GATEWAY,
          ...sidecarPod(rl, "api", { app: "api" }),
          { ...limited, spec: { ...(limited.spec as Json), global } },
        ]);
        const provider = async () => at(await object(cluster, policy), "spec", "provider", "name");
        await poll(async () => {
          await markOathkeeperAvailable(cluster);
          return (await provider()) === "apigw-authz" || undefined;
        }, { ...WAIT, what: "the CUSTOM policy of RateLimit api" });
        const edited = await cluster.request(
          "PATCH",
          `${policy}?fieldManager=kubectl-edit`,
          { spec: { provider: { name: "hijacked" } } },
          "application/merge-patch+json",
        );
        assert.equal(edited.status, 200, edited.text);
        await poll(async () => (await provider()) === "apigw-authz" || undefined, {
          ...WAIT,
          what: "the edit to be reverted",
        });
        await applyAll(cluster, [limited]);
        await poll(async () => (await object(cluster, policy)) === undefined || undefined, {
          ...WAIT,
          what: "the policy to go with spec.global",
        });
        // RateLimits block the APIGateway's deletion, which a later step runs.
        const rateLimits = `/apis/gateway.kyma-project.io/v1alpha1/namespaces/${rl}/ratelimits`;
        assert.equal((await cluster.request("DELETE", `${rateLimits}/api`)).status, 200);
      },
    );

    await t.step("the APIGateway's deletion waits for the APIRules that block it", async () => {
      const apiGateway = "/apis/operator.kyma-project.io/v1alpha1/apigateways/default";
      await applyAll(cluster, [
        apiRule(ns, "blocker", { host: "blocker", service: { name: "missing" }, paths: ["/"] }),
      ]);
      await poll(async () => {
        await markOathkeeperAvailable(cluster);
        return at(await object(cluster, apiGateway), "status", "state") === "Ready" || undefined;
      }, { ...WAIT, what: "the APIGateway to be Ready" });
      assert.equal((await cluster.request("DELETE", apiGateway)).status, 200);
      await poll(async () => {
        const description = String(at(await object(cluster, apiGateway), "status", "description"));
        return description.startsWith("There are APIRule(s) that block the deletion") || undefined;
      }, { ...WAIT, what: "the deletion to be blocked" });
      for (const name of ["blocker", "broken"]) {
        await cluster.request("DELETE", rulePath(name));
      }
      await poll(async () => (await object(cluster, apiGateway)) === undefined || undefined, {
        ...WAIT,
        what: "the APIGateway to be gone",
      });
      assert.equal(
        await object(cluster, "/apis/apps/v1/namespaces/kyma-system/deployments/ory-oathkeeper"),
        undefined,
        "the Oathkeeper Deployment was removed",
      );
    });

    await t.step("the probes and metrics endpoints answer", async () => {
      for (const path of ["/healthz", "/readyz"]) {
        const response = await fetch(`${operator.probesUrl}${path}`);
        assert.equal(response.status, 200, await response.text());
      }
      const reconciles = await operator.metric("apigw_reconcile_total");
      assert.ok((reconciles.get('{controller="apirule",result="done"}') ?? 0) > 0);
      const owned = await operator.metric("apigw_owned_objects");
      assert.ok(owned.has('{controller="apirule",kind="VirtualService"}'));
      assert.ok((await operator.metric("apigw_reconcile_duration_seconds_count")).size >= 3);
    });
  } finally {
    await operator.stop();
    // The APIGateway's teardown deleted the Oathkeeper Rule CRD the other tests expect.
    await restoreRuleCrd(cluster);
    await cluster.reset();
  }
});

function rateLimit(namespace: string, name: string, selector: Record<string, string>): Json {
  return {
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: { name, namespace },
    spec: {
      selectorLabels: selector,
      local: { defaultBucket: { maxTokens: 10, tokensPerFill: 5, fillInterval: "30s" } },
    },
  };
}

async function restoreRuleCrd(cluster: ReturnType<typeof testCluster>): Promise<void> {
  const shared = new URL("../fixtures/crds/", import.meta.url);
  const files = [...Deno.readDirSync(shared)].filter((e) => e.name.endsWith(".yaml")).map((e) =>
    new URL(e.name, shared)
  );
  const crds = (await readCrds(files)).filter((crd) =>
    JSON.stringify(crd).includes('"rules.oathkeeper.ory.sh"')
  );
  await poll(async () => {
    const response = await cluster.request(
      "GET",
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/rules.oathkeeper.ory.sh",
    );
    return response.status === 404 ||
        at(response.json, "metadata", "deletionTimestamp") === undefined
      ? true
      : undefined;
  }, { timeoutMs: 30_000, what: "the Rule CRD deletion to finish" });
  await installCrds(cluster, crds);
}
