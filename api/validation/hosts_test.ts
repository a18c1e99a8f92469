import assert from "node:assert/strict";
import { hostFailures, type HostsInput } from "./hosts.ts";
import { cluster, gateway, KYMA_GATEWAY, virtualService } from "./_testing.ts";
import type { GatewayFact } from "./facts.ts";
import type { Lookup } from "./_lookup.ts";

const OWNER = { name: "httpbin", namespace: "demo" };
function FOUND(value: GatewayFact): Lookup<GatewayFact> {
  return { state: "found", value };
}
const H2 =
  "Lowercase RFC 1123 label (short host) is only supported as the APIRule host when selected Gateway has a single host definition matching *.<fqdn> format";

type Case = { name: string; input: Partial<HostsInput>; vs?: string[][]; failures: string[] };

const CASES: Case[] = [
  { name: "H0 fails without hosts", input: { hosts: [] }, failures: ["No hosts defined"] },
  { name: "H0 passes a host", input: { hosts: ["httpbin.example.com"] }, failures: [] },
  {
    name: "H1 fails on a short host when the Gateway is not in the cluster",
    input: { hosts: ["httpbin"], gateway: { state: "missing" } },
    failures: ['Unable to find Gateway "kyma-system/kyma-gateway"'],
  },
  {
    name: "H1/H2 pass a short host with a single-wildcard Gateway",
    input: { hosts: ["httpbin"], gateway: FOUND(KYMA_GATEWAY) },
    failures: [],
  },
  {
    name: "H2 fails when a server has two hosts",
    input: { hosts: ["httpbin"], gateway: FOUND(gateway("a", "b", ["*.x.dev", "*.y.dev"])) },
    failures: [H2],
  },
  {
    name: "H2 fails when servers differ",
    input: { hosts: ["httpbin"], gateway: FOUND(gateway("a", "b", ["*.x.dev"], ["*.y.dev"])) },
    failures: [H2],
  },
  {
    name: "H2 fails on a host without *.",
    input: { hosts: ["httpbin"], gateway: FOUND(gateway("a", "b", ["x.dev"])) },
    failures: [H2],
  },
  {
    name: "H2 fails on a Gateway without servers",
    input: { hosts: ["httpbin"], gateway: FOUND(gateway("a", "b")) },
    failures: [H2],
  },
  {
    name: "H2 passes equal wildcard hosts on two servers",
    input: { hosts: ["httpbin"], gateway: FOUND(gateway("a", "b", ["*.x.dev"], ["*.x.dev"])) },
    failures: [],
  },
  {
    name: "H3 fails on a host that is no DNS name",
    input: { hosts: ["Httpbin.Example.com"] },
    failures: ["Host must be a valid FQDN or short host name"],
  },
  {
    name: "H3 fails on a last label of one character",
    input: { hosts: ["httpbin.example.c"] },
    failures: ["Host must be a valid FQDN or short host name"],
  },
  { name: "H3 passes a wildcard host", input: { hosts: ["*.example.com"] }, failures: [] },
  {
    name: "H4 fails on a foreign VirtualService with the host, once per VirtualService",
    input: { hosts: ["httpbin.local.kyma.dev"] },
    vs: [["other", "legacy"], ["demo", "mine-old"]],
    failures: [
      "Host is occupied by another Virtual Service (demo/mine-old)",
      "Host is occupied by another Virtual Service (other/legacy)",
    ],
  },
  {
    name: "H4 compares the resolved short host",
    input: { hosts: ["httpbin"], gateway: FOUND(KYMA_GATEWAY) },
    vs: [["other", "legacy"]],
    failures: ["Host is occupied by another Virtual Service (other/legacy)"],
  },
  {
    name: "H4 passes a VirtualService this APIRule owns",
    input: { hosts: ["httpbin.local.kyma.dev"] },
    vs: [["demo", "owned"], ["demo", "legacy-owned"]],
    failures: [],
  },
  {
    name: "H4 compares wildcards as plain strings",
    input: { hosts: ["*.local.kyma.dev"] },
    vs: [["other", "legacy"]],
    failures: [],
  },
];

const VIRTUAL_SERVICES = [
  virtualService("other", "legacy", ["httpbin.local.kyma.dev"]),
  virtualService("demo", "mine-old", ["httpbin.local.kyma.dev"], {
    "apirule.gateway.kyma-project.io/name": "httpbin",
    "apirule.gateway.kyma-project.io/namespace": "other",
  }),
  virtualService("demo", "owned", ["httpbin.local.kyma.dev"], {
    "apirule.gateway.kyma-project.io/name": "httpbin",
    "apirule.gateway.kyma-project.io/namespace": "demo",
  }),
  virtualService("demo", "legacy-owned", ["httpbin.local.kyma.dev"], {
    "apirule.gateway.kyma-project.io/v1beta1": "httpbin.demo",
  }),
];

Deno.test("hostFailures() checks each host (H0–H4)", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => {
      const names = new Set((tc.vs ?? []).map(([ns, name]) => `${ns}/${name}`));
      const facts = cluster({
        virtualServices: VIRTUAL_SERVICES.filter((vs) => names.has(`${vs.namespace}/${vs.name}`)),
      });
      const input = { ...OWNER, hosts: [], gatewayRef: "kyma-system/kyma-gateway", ...tc.input };
      const checked = hostFailures(input, facts);
      const path = tc.input.hosts?.length === 0 ? ".spec.hosts" : ".spec.hosts[0]";
      assert.deepEqual(
        checked.failures,
        tc.failures.map((message) => ({ attributePath: path, message })),
      );
    });
  }
});

Deno.test("hostFailures() notes the checks it skipped", () => {
  const unknown: Lookup<GatewayFact> = { state: "unknown", note: "Gateway checks skipped" };
  const checked = hostFailures(
    { ...OWNER, hosts: ["httpbin", "a.example.com"], gateway: unknown },
    {},
  );
  assert.deepEqual(checked, {
    failures: [],
    notes: [
      "Gateway checks skipped",
      "Host occupancy checks skipped: no VirtualServices in the input",
    ],
  });
});
