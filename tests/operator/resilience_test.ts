/**
 * The operator survives what production does to it: a kill -9 in the middle of a batch of 200
 * APIRule changes (the restarted operator brings every APIRule to Ready with exactly its objects:
 * no duplicates, no orphans) and a kube-apiserver restart (watches resume, work goes on).
 */
import assert from "node:assert/strict";
import { poll, testCluster } from "../cluster/mod.ts";
import {
  apiRule,
  applyAll,
  at,
  ISTIO_NETWORKING,
  ISTIO_SECURITY,
  items,
  kymaGateway,
  meta,
  object,
  service,
} from "./_fixtures.ts";
import { operatorAccess, startOperator } from "./_operator.ts";

const COUNT = 200;
const NS = "resilience";
const APIRULES = `/apis/gateway.kyma-project.io/v2alpha1/namespaces/${NS}/apirules`;
const OWNER = "apirule.gateway.kyma-project.io/name";

Deno.test("operator recovers from kill -9 mid-batch and from an apiserver restart", async (t) => {
  const cluster = testCluster();
  await cluster.reset();
  const kubeconfig = await operatorAccess(cluster);
  await applyAll(cluster, [kymaGateway("example.com"), service(NS, "httpbin", { app: "httpbin" })]);
  const first = await startOperator(cluster, kubeconfig, { name: "resilience-1" });
  let second: Awaited<ReturnType<typeof startOperator>> | undefined;
  try {
    await t.step(`kill -9 during ${COUNT} APIRule changes, then restart: all Ready`, async () => {
      const writes = (async () => {
        for (let i = 0; i < COUNT; i++) {
          await applyAll(cluster, [
            apiRule(NS, `rule-${i}`, {
              host: `r${i}.example.com`,
              service: { name: "httpbin" },
              paths: ["/a"],
            }),
          ]);
        }
      })();
      await poll(async () => {
        const done = (await first.metric("apigw_reconcile_total")).get(
          '{controller="apirule",result="done"}',
        ) ?? 0;
        return done >= COUNT / 5 ? true : undefined;
      }, { timeoutMs: 60_000, intervalMs: 20, what: "the operator to be mid-batch" });
      await first.kill();
      await writes;
      second = await startOperator(cluster, kubeconfig, { name: "resilience-2" });
      const started = performance.now();
      await poll(async () => {
        const rules = await items(cluster, APIRULES);
        const ready = rules.filter((r) => at(r, "status", "state") === "Ready").length;
        return rules.length === COUNT && ready === COUNT ? true : undefined;
      }, { timeoutMs: 120_000, intervalMs: 500, what: `all ${COUNT} APIRules to be Ready` });
      console.log(
        `${COUNT} APIRules Ready ${Math.round(performance.now() - started)} ms after restart`,
      );
      await second.waitIdle();
      const rules = await items(cluster, APIRULES);
      assert.ok(
        rules.every((r) =>
          JSON.stringify(at(r, "metadata", "finalizers")) ===
            '["gateway.kyma-project.io/subresources"]'
        ),
      );
      for (
        const collection of [
          `${ISTIO_NETWORKING}/virtualservices`,
          `${ISTIO_SECURITY}/authorizationpolicies`,
        ]
      ) {
        const owned = (await items(cluster, collection)).filter((o) =>
          at(o, "metadata", "labels", OWNER)
        );
        const owners = owned.map((o) => String(at(o, "metadata", "labels", OWNER))).sort();
        const expected = rules.map((r) => meta(r).name).sort();
        assert.deepEqual(owners, expected, `${collection}: exactly one per APIRule, none orphaned`);
      }
    });

    await t.step("a kube-apiserver restart is survived", async () => {
      const operator = second!;
      await cluster.restartApiserver();
      await applyAll(cluster, [
        apiRule(NS, "rule-0", {
          host: "r0.example.com",
          service: { name: "httpbin" },
          paths: ["/after-restart"],
        }),
      ]);
      await poll(async () => {
        const vs = (await items(cluster, `${ISTIO_NETWORKING}/namespaces/${NS}/virtualservices`))
          .find((o) => at(o, "metadata", "labels", OWNER) === "rule-0");
        return JSON.stringify(vs).includes("after-restart") || undefined;
      }, {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: "the change after the restart to be applied",
      });
      const ready = await fetch(`${operator.probesUrl}/readyz`);
      assert.equal(ready.status, 200, await ready.text());
      assert.ok((await object(cluster, `${APIRULES}/rule-0`)) !== undefined);
    });
  } finally {
    await first.kill();
    await second?.stop();
    await cluster.reset();
  }
});
