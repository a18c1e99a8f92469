import assert from "node:assert/strict";
import { stringify } from "yaml";
import { authzManifests } from "../manifests.ts";

Deno.test("authzManifests() with rlsConfigMap adds the Role, the flags and the gRPC port", () => {
  const objects = authzManifests({ image: "apigw:test", rlsConfigMap: "limits" });
  const role = objects.find((o) => o.kind === "Role");
  assert.deepEqual(role?.rules, [{
    apiGroups: [""],
    resources: ["configmaps"],
    resourceNames: ["limits"],
    verbs: ["get", "list", "watch"],
  }]);
  assert.ok(objects.some((o) => o.kind === "RoleBinding"));
  const text = stringify(objects);
  assert.match(
    text,
    /- --rls-listen\n\s+- 0\.0\.0\.0:8081\n\s+- --rls-configmap\n\s+- kyma-system\/limits/,
  );
  assert.match(text, /name: grpc-rls\n\s+port: 8081\n\s+targetPort: rls\n\s+appProtocol: grpc/);
  const without = stringify(authzManifests({ image: "apigw:test" }));
  assert.doesNotMatch(without, /rls/);
});
