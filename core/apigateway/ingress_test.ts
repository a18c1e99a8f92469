import assert from "node:assert/strict";
import type { KubeObject } from "../../api/meta.ts";
import { ingressAddresses } from "./ingress.ts";
import { object, snapshot } from "./_testing.ts";

function ingressService(ingress: unknown[], ipFamilies?: string[]): KubeObject {
  return object("v1", "Service", "istio-system/istio-ingressgateway", {
    spec: ipFamilies === undefined ? {} : { ipFamilies },
    status: { loadBalancer: { ingress } },
  });
}

const CASES: Array<{ name: string; objects: KubeObject[]; expected: unknown }> = [
  {
    name: "no Service",
    objects: [],
    expected: { ok: false, error: "Service istio-system/istio-ingressgateway does not exist" },
  },
  {
    name: "no load balancer address yet",
    objects: [ingressService([])],
    expected: { ok: false, error: "no ingress exists for istio-system/istio-ingressgateway" },
  },
  {
    name: "entries without addresses",
    objects: [ingressService([{ ip: "" }, {}])],
    expected: {
      ok: false,
      error: "no ingress targets found for istio-system/istio-ingressgateway",
    },
  },
  {
    name: "each entry's IP, then its hostname, in order",
    objects: [
      ingressService([{ ip: "203.0.113.10", hostname: "lb.example.com" }, {
        hostname: "b.example.com",
      }]),
    ],
    expected: {
      ok: true,
      value: { targets: ["203.0.113.10", "lb.example.com", "b.example.com"], stack: "ipv4" },
    },
  },
  {
    name: "one IPv6 family",
    objects: [ingressService([{ ip: "2001:db8::1" }], ["IPv6"])],
    expected: { ok: true, value: { targets: ["2001:db8::1"], stack: "ipv6" } },
  },
  {
    name: "two families",
    objects: [ingressService([{ ip: "203.0.113.10" }], ["IPv4", "IPv6"])],
    expected: { ok: true, value: { targets: ["203.0.113.10"], stack: "dual-stack" } },
  },
];

Deno.test("ingressAddresses() reads the ingress load balancer's targets and IP stack", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => {
      assert.deepEqual(ingressAddresses(snapshot(tc.objects)), tc.expected);
    });
  }
});
