/**
 * `apigw authz` in cluster mode against the real kube-apiserver of `deno task test`: APIRules
 * and Gateways come from informers, and a change to an APIRule changes the next decision.
 */
import assert from "node:assert/strict";
import { apiRule, GATEWAY } from "../../core/authz/_testing.ts";
import { CLUSTER_ENV, poll, testCluster, uniqueName } from "../cluster/mod.ts";
import { http1 } from "./http1.ts";
import { startAuthz } from "./run_authz.ts";

// `deno task test` always provides the cluster; a bare `deno test tests/authz` has none.
const NO_CLUSTER = Deno.env.get(CLUSTER_ENV.control) === undefined;

Deno.test({
  name: "apigw authz watches APIRules in the cluster",
  ignore: NO_CLUSTER,
}, async () => {
  const cluster = testCluster();
  const ns = uniqueName("authz");
  await cluster.ensureNamespace(ns);
  // A Gateway of the test's own: other tests set kyma-system/kyma-gateway to their domains.
  const gateway = await cluster.request(
    "POST",
    `/apis/networking.istio.io/v1/namespaces/${ns}/gateways`,
    { ...GATEWAY, metadata: { namespace: ns, name: "gateway" } },
  );
  assert.equal(gateway.status, 201, gateway.text);
  const host = `${ns}.local.kyma.dev`;
  const rules = `/apis/gateway.kyma-project.io/v2alpha1/namespaces/${ns}/apirules`;
  const object = apiRule("orders", [{ path: "/public", noAuth: true }], {
    namespace: ns,
    host: ns,
  });
  const created = await cluster.request("POST", rules, {
    ...object,
    apiVersion: "gateway.kyma-project.io/v2alpha1",
    spec: { ...object.spec as Record<string, unknown>, gateway: `${ns}/gateway` },
  });
  assert.equal(created.status, 201, created.text);

  await using authz = await startAuthz(["--kubeconfig", cluster.kubeconfigPath]);
  const check = (path: string) => http1(authz.checkUrl, path, { headers: { host } });
  await poll(async () => (await check("/public")).status === 200 || undefined, {
    what: "the APIRule to be served",
    timeoutMs: 20_000,
  });
  assert.equal((await check("/later")).status, 404);

  const patch = {
    spec: {
      rules: [{ path: "/public", methods: ["GET"], noAuth: true }, {
        path: "/later",
        methods: ["GET"],
        noAuth: true,
      }],
    },
  };
  const patched = await cluster.request(
    "PATCH",
    `${rules}/orders`,
    patch,
    "application/merge-patch+json",
  );
  assert.equal(patched.status, 200, patched.text);
  await poll(async () => (await check("/later")).status === 200 || undefined, {
    what: "the new rule",
  });

  assert.equal((await cluster.request("DELETE", `${rules}/orders`)).status, 200);
  await poll(async () => (await check("/public")).status === 404 || undefined, {
    what: "the deleted APIRule to go",
  });
});
