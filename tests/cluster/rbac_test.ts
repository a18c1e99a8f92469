import assert from "node:assert/strict";
import { virtualServicesPath } from "./_fixtures.ts";
import { FIELD_MANAGER, kubeRequest, poll, testCluster, uniqueName } from "./mod.ts";

Deno.test("serviceAccountKubeconfig() gives a token that RBAC denies until a Role allows it", async (t) => {
  const cluster = testCluster();
  const ns = uniqueName("rbac");
  const { token } = await cluster.serviceAccountKubeconfig(ns, "reader");
  const asReader = () => kubeRequest({ ...cluster, token }, "GET", virtualServicesPath(ns));

  await t.step("listing without RBAC is forbidden (403)", async () => {
    const response = await asReader();
    assert.equal(response.status, 403, response.text);
    assert.match(response.text, /system:serviceaccount:rbac-[0-9a-f]+:reader/);
  });
  await t.step("listing is allowed once a Role and RoleBinding are applied", async () => {
    const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}`;
    const apply = `?fieldManager=${FIELD_MANAGER}&force=true`;
    const contentType = "application/apply-patch+yaml";
    const role = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "virtualservice-reader" },
      rules: [{
        apiGroups: ["networking.istio.io"],
        resources: ["virtualservices"],
        verbs: ["get", "list", "watch"],
      }],
    };
    const binding = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "virtualservice-reader" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: "reader", namespace: ns }],
    };
    const roleResponse = await cluster.request(
      "PATCH",
      `${rbac}/roles/${role.metadata.name}${apply}`,
      role,
      contentType,
    );
    assert.equal(roleResponse.status, 201, roleResponse.text);
    const bindingResponse = await cluster.request(
      "PATCH",
      `${rbac}/rolebindings/${binding.metadata.name}${apply}`,
      binding,
      contentType,
    );
    assert.equal(bindingResponse.status, 201, bindingResponse.text);
    // The authorizer reads RBAC from an informer cache, which catches up within a second or two.
    const allowed = await poll(async () => {
      const response = await asReader();
      return response.status === 200 ? response : undefined;
    }, { timeoutMs: 10_000, what: "the RoleBinding to take effect" });
    assert.equal(allowed.status, 200);
  });
});
