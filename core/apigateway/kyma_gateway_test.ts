import assert from "node:assert/strict";
import type { KubeObject } from "../../api/meta.ts";
import { kymaGatewayObjects, kymaGatewayReferences } from "./kyma_gateway.ts";
import { find, keys, object, snapshot } from "./_testing.ts";
import { listAt, stringsAt } from "./_read.ts";

const SHOOT_INFO = object("v1", "ConfigMap", "kube-system/shoot-info", {
  data: { domain: "c1.example.com" },
});

function ingress(ipFamilies: string[]): KubeObject {
  return object("v1", "Service", "istio-system/istio-ingressgateway", {
    spec: { ipFamilies },
    status: { loadBalancer: { ingress: [{ ip: "203.0.113.10" }] } },
  });
}

function objectsOf(objects: KubeObject[], without: string[] = []) {
  const result = kymaGatewayObjects(snapshot(objects, { without }), { version: "1.2.3" });
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

Deno.test("kymaGatewayObjects() in local mode: TLS Secret without data, generated at apply time", () => {
  const objects = objectsOf([]);
  assert.deepEqual(keys(objects.apply), [
    "core/Secret istio-system/kyma-gateway-certs",
    "networking.istio.io/VirtualService istio-system/istio-healthz",
    "networking.istio.io/Gateway kyma-system/kyma-gateway",
  ]);
  const secret = find(objects.apply, "Secret", "kyma-gateway-certs");
  assert.equal(secret.type, "Opaque");
  assert.equal(secret.data, undefined, "key material is never planned (decision 10)");
  assert.deepEqual(objects.generate, [{
    namespace: "istio-system",
    name: "kyma-gateway-certs",
    material: { kind: "SelfSignedTLS", dnsNames: ["*.local.kyma.dev"] },
  }]);
  assert.equal(secret.metadata.labels?.["app.kubernetes.io/version"], "1.2.3");
});

Deno.test("kymaGatewayObjects() in local mode removes the Gardener branch (weak spot 11)", async (t) => {
  for (
    const tc of [
      {
        name: "both Gardener CRDs installed",
        without: [],
        deleted: [
          "dns.gardener.cloud/DNSEntry kyma-system/kyma-gateway",
          "cert.gardener.cloud/Certificate istio-system/kyma-tls-cert",
        ],
      },
      {
        name: "no DNSEntry CRD",
        without: ["dnsentries.dns.gardener.cloud"],
        deleted: ["cert.gardener.cloud/Certificate istio-system/kyma-tls-cert"],
      },
    ]
  ) {
    await t.step(tc.name, () => {
      const deleted = keys(objectsOf([], tc.without).delete).filter((k) =>
        !k.startsWith("core/ConfigMap")
      );
      assert.deepEqual(deleted, tc.deleted);
    });
  }
});

Deno.test("kymaGatewayObjects() in Gardener mode: DNSEntry to the load balancer and a Certificate", () => {
  const objects = objectsOf([SHOOT_INFO, ingress(["IPv4"])]);
  assert.deepEqual(keys(objects.apply), [
    "dns.gardener.cloud/DNSEntry kyma-system/kyma-gateway",
    "cert.gardener.cloud/Certificate istio-system/kyma-tls-cert",
    "networking.istio.io/VirtualService istio-system/istio-healthz",
    "networking.istio.io/Gateway kyma-system/kyma-gateway",
  ]);
  assert.deepEqual(objects.generate, [], "cert-management issues the certificate");
  assert.ok(
    !keys(objects.delete).some((k) => k.includes("Secret")),
    "the Certificate writes that Secret",
  );
  const dns = find(objects.apply, "DNSEntry", "kyma-gateway");
  assert.deepEqual(dns.spec, { dnsName: "*.c1.example.com", ttl: 600, targets: ["203.0.113.10"] });
  assert.equal(dns.metadata.annotations?.["dns.gardener.cloud/ip-stack"], undefined);
  const gateway = find(objects.apply, "Gateway", "kyma-gateway");
  assert.deepEqual(
    listAt(gateway, "spec", "servers").map((server) => stringsAt(server, "hosts")),
    [["*.c1.example.com"], ["*.c1.example.com"]],
  );
});

Deno.test("kymaGatewayObjects() annotates the DNSEntry with the ingress IP stack", async (t) => {
  for (
    const tc of [
      { families: ["IPv6"], stack: "ipv6" },
      { families: ["IPv4", "IPv6"], stack: "dual-stack" },
    ]
  ) {
    await t.step(tc.stack, () => {
      const dns = find(
        objectsOf([SHOOT_INFO, ingress(tc.families)]).apply,
        "DNSEntry",
        "kyma-gateway",
      );
      assert.equal(dns.metadata.annotations?.["dns.gardener.cloud/ip-stack"], tc.stack);
      assert.equal(dns.metadata.annotations?.["dns.gardener.cloud/class"], "garden");
    });
  }
});

Deno.test("kymaGatewayObjects() fails in Gardener mode while the load balancer has no address", () => {
  const result = kymaGatewayObjects(snapshot([SHOOT_INFO]), { version: "dev" });
  assert.deepEqual(result, {
    ok: false,
    error: "Service istio-system/istio-ingressgateway does not exist",
  });
});

Deno.test("kymaGatewayReferences() names both environments' objects and the obsolete ConfigMaps", () => {
  assert.deepEqual(keys(kymaGatewayReferences(snapshot([]))), [
    "dns.gardener.cloud/DNSEntry kyma-system/kyma-gateway",
    "cert.gardener.cloud/Certificate istio-system/kyma-tls-cert",
    "core/Secret istio-system/kyma-gateway-certs",
    "networking.istio.io/VirtualService istio-system/istio-healthz",
    "core/ConfigMap kyma-system/api-gateway-apirule-v1beta1-ui.operator.kyma-project.io",
    "core/ConfigMap kyma-system/api-gateway-apirule-v2alpha1-ui.operator.kyma-project.io",
    "networking.istio.io/Gateway kyma-system/kyma-gateway",
  ]);
});
