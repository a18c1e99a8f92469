import assert from "node:assert/strict";
import type { KubeObject } from "../../api/meta.ts";
import { CERTIFICATE_CRD, clusterDomain, DNSENTRY_CRD, isGardener } from "./environment.ts";
import { object, snapshot } from "./_testing.ts";

function shootInfo(data: Record<string, unknown>): KubeObject {
  return object("v1", "ConfigMap", "kube-system/shoot-info", { data });
}

const CASES: Array<{
  name: string;
  objects: KubeObject[];
  without?: string[];
  domain: string;
  gardener: boolean;
}> = [
  { name: "no shoot-info: local", objects: [], domain: "local.kyma.dev", gardener: false },
  {
    name: "shoot domain and both Gardener CRDs: Gardener",
    objects: [shootInfo({ domain: "c1.example.com" })],
    domain: "c1.example.com",
    gardener: true,
  },
  {
    name: "empty domain: local",
    objects: [shootInfo({ domain: "" })],
    domain: "local.kyma.dev",
    gardener: false,
  },
  {
    name: "the local domain is never Gardener",
    objects: [shootInfo({ domain: "local.kyma.dev" })],
    domain: "local.kyma.dev",
    gardener: false,
  },
  {
    name: "a shoot domain without the DNSEntry CRD: local mode on the shoot domain",
    objects: [shootInfo({ domain: "c1.example.com" })],
    without: [DNSENTRY_CRD],
    domain: "c1.example.com",
    gardener: false,
  },
  {
    name: "a shoot domain without the Certificate CRD: local mode",
    objects: [shootInfo({ domain: "c1.example.com" })],
    without: [CERTIFICATE_CRD],
    domain: "c1.example.com",
    gardener: false,
  },
  {
    name: "a shoot-info in another namespace does not count",
    objects: [
      object("v1", "ConfigMap", "default/shoot-info", { data: { domain: "x.example.com" } }),
    ],
    domain: "local.kyma.dev",
    gardener: false,
  },
];

Deno.test("clusterDomain() and isGardener() follow shoot-info and the Gardener CRDs", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => {
      const snap = snapshot(tc.objects, { without: tc.without ?? [] });
      const domain = clusterDomain(snap);
      assert.equal(domain, tc.domain);
      assert.equal(isGardener(snap, domain), tc.gardener);
    });
  }
});
