/**
 * The operator's status page against a real kube-apiserver: `apigw operator --dashboard-listen`
 * lists an APIRule with the state its controller wrote, and answers only to its own host.
 */
import assert from "node:assert/strict";
import { poll, testCluster, uniqueName } from "../cluster/mod.ts";
import { apiRule, applyAll, kymaGateway, service } from "../operator/_fixtures.ts";
import { operatorAccess, startOperator } from "../operator/_operator.ts";
import { rawRequest } from "../serve/_gateway.ts";

Deno.test("apigw operator --dashboard-listen shows each APIRule's status", async () => {
  const cluster = testCluster();
  await cluster.reset();
  const kubeconfig = await operatorAccess(cluster);
  const operator = await startOperator(cluster, kubeconfig, {
    name: "status-page",
    args: ["--dashboard-listen=127.0.0.1:0"],
  });
  try {
    const url = await poll(async () => {
      const line = (await operator.logs()).find((l) => l.msg === "Serving status page");
      return typeof line?.address === "string" ? `http://${line.address}` : undefined;
    }, { timeoutMs: 20_000, what: "the status page to listen" });
    const ns = uniqueName("status");
    await applyAll(cluster, [
      kymaGateway("example.com"),
      service(ns, "httpbin", { app: "httpbin" }),
      apiRule(ns, "httpbin", {
        host: "httpbin",
        service: { name: "httpbin", namespace: ns },
        paths: ["/a"],
      }),
    ]);
    const row = await poll(async () => {
      const json = await (await fetch(`${url}/api/status`)).json();
      return json.objects.find((o: Record<string, unknown>) =>
        o.kind === "APIRule" && o.namespace === ns && o.name === "httpbin" && o.state === "Ready"
      );
    }, { timeoutMs: 30_000, what: "the APIRule Ready on the status page" });
    assert.equal(typeof row.lastProcessed, "string");
    const page = await (await fetch(`${url}/`)).text();
    assert.ok(page.includes(`${ns}/httpbin`));
    // fetch always sends the URL's host: a raw request names another (DNS rebinding).
    const rebound = await rawRequest(
      Number(new URL(url).port),
      "GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    );
    assert.equal(rebound.status, 421);
  } finally {
    await operator.stop();
    await cluster.reset();
  }
});
