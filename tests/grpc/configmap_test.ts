/**
 * `apigw authz --rls-configmap NS/NAME` against the real kube-apiserver of `deno task test`,
 * authenticated as a ServiceAccount that has only the Role `apigw manifests --rls-configmap`
 * ships: the ConfigMap's config is served, and an update is served without a restart.
 */
import assert from "node:assert/strict";
import { rlsRbac } from "../../proxy/rls/manifests.ts";
import { CLUSTER_ENV, poll, testCluster, uniqueName } from "../cluster/mod.ts";
import { cachedGrpcPeers } from "./build.ts";
import { goClient, startRls } from "./_peers.ts";

const peers = await cachedGrpcPeers();
// `deno task test` always provides the cluster; a bare `deno test tests/grpc` has none.
const ignore = Deno.env.get(CLUSTER_ENV.control) === undefined || peers === undefined;

const config = (perMinute: number) =>
  `domain: cm\ndescriptors:\n  - key: user\n    rate_limit: { unit: minute, requests_per_unit: ${perMinute} }\n`;

Deno.test({
  name: "apigw authz --rls-configmap serves and reloads a ConfigMap with the shipped Role",
  ignore,
  async fn() {
    const cluster = testCluster();
    const ns = uniqueName("rls");
    const sa = "apigw-authz";
    const account = await cluster.serviceAccountKubeconfig(ns, sa);
    const labels = { "app.kubernetes.io/part-of": "apigw" };
    for (const object of rlsRbac({ namespace: ns, name: sa, configMap: "limits", labels })) {
      const kind = object.kind === "Role" ? "roles" : "rolebindings";
      const created = await cluster.request(
        "POST",
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/${kind}`,
        object,
      );
      assert.equal(created.status, 201, created.text);
    }
    const configMaps = `/api/v1/namespaces/${ns}/configmaps`;
    const created = await cluster.request("POST", configMaps, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "limits" },
      data: { "cm.yaml": config(3), "README": "not a config file" },
    });
    assert.equal(created.status, 201, created.text);

    await using rls = await startRls({
      args: ["--rls-configmap", `${ns}/limits`, "--kubeconfig", account.path],
    });
    const remaining = async () => {
      const [result] = await goClient(peers!.rlsclient, rls.address, [{
        domain: "cm",
        descriptors: [{ entries: [{ key: "user", value: crypto.randomUUID() }] }],
      }]);
      return result?.response?.statuses?.[0]?.limitRemaining;
    };
    assert.equal(await remaining(), 2);

    const patched = await cluster.request(
      "PATCH",
      `${configMaps}/limits`,
      { data: { "cm.yaml": config(9) } },
      "application/merge-patch+json",
    );
    assert.equal(patched.status, 200, patched.text);
    await poll(async () => (await remaining()) === 8 || undefined, {
      timeoutMs: 20_000,
      what: "the updated ConfigMap to be served",
    });
  },
});
