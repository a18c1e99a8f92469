import assert from "node:assert/strict";
import type { Rule, Service } from "../apirule/v2.ts";
import type { ValidationFacts } from "./facts.ts";
import { ruleFailures } from "./rules.ts";
import { cluster, JWT, pod, service } from "./_testing.ts";

const SVC: Service = { name: "httpbin", port: 8000 };
const NOAUTH: Rule = { path: "/*", methods: ["GET"], noAuth: true };
const INJECTION = "Failed to execute sidecar injection validation, err:";

type Case = {
  name: string;
  rules: Rule[];
  specService?: Service | "invalid" | undefined;
  facts?: Partial<ValidationFacts>;
  failures: Array<[string, string]>;
};

const CASES: Case[] = [
  { name: "R0 fails without rules", rules: [], failures: [[".spec.rules", "No rules defined"]] },
  { name: "R0 passes a rule", rules: [NOAUTH], failures: [] },
  {
    name: "R1 and R2 fail on a rule without any service",
    rules: [NOAUTH],
    specService: undefined,
    failures: [
      [
        ".spec.rules[0].service",
        "The rule must define a service, because no service is defined on spec level",
      ],
      [".spec.rules[0]", `${INJECTION} service name is required but missing`],
    ],
  },
  {
    name: "R1 passes a rule-level service",
    rules: [{ ...NOAUTH, service: SVC }],
    specService: undefined,
    failures: [],
  },
  {
    name: "R2 fails on an empty service name",
    rules: [{ ...NOAUTH, service: { name: "", port: 80 } }],
    failures: [[".spec.rules[0]", `${INJECTION} service name is required but missing`]],
  },
  {
    name: "R3 fails on a Service that does not exist",
    rules: [{ ...NOAUTH, service: { name: "missing", port: 80 } }],
    failures: [[".spec.rules[0]", `${INJECTION} services "missing" not found`]],
  },
  {
    name: "R3 looks in the spec service namespace (Q3)",
    rules: [{ ...NOAUTH, service: SVC }],
    specService: { ...SVC, namespace: "other" },
    facts: { services: [service("other", "httpbin")], pods: [] },
    failures: [],
  },
  {
    name: "R4 fails on a Service without selector",
    rules: [NOAUTH],
    facts: { services: [service("demo", "httpbin", {})] },
    failures: [[".spec.rules[0].injection", "Target service label selectors are not defined"]],
  },
  {
    name: "R5 fails per selected Pod without sidecar, by name",
    rules: [NOAUTH],
    facts: {
      pods: [
        pod("demo", "b", { app: "httpbin" }, { containers: ["app"] }),
        pod("demo", "a", { app: "httpbin", v: "1" }, { containers: ["app"] }),
        pod("demo", "c", { app: "other" }, { containers: ["app"] }),
        pod("other", "d", { app: "httpbin" }, { containers: ["app"] }),
      ],
    },
    failures: [
      [".spec.rules[0]", "Pod demo/a does not have an injected istio sidecar"],
      [".spec.rules[0]", "Pod demo/b does not have an injected istio sidecar"],
    ],
  },
  {
    name: "R5 passes a native sidecar (init container)",
    rules: [NOAUTH],
    facts: {
      pods: [
        pod("demo", "a", { app: "httpbin" }, {
          containers: ["app"],
          initContainers: ["istio-proxy"],
        }),
      ],
    },
    failures: [],
  },
  { name: "R5 passes a Service without Pods", rules: [NOAUTH], facts: { pods: [] }, failures: [] },
  {
    name: "checks run per rule in upstream's order, then P3, then J10",
    rules: [
      { path: "/a/{**}/{**}", methods: ["GET"], jwt: {} },
      {
        path: "/a/{**}/{**}",
        methods: ["GET"],
        extAuth: { authorizers: ["nope"] },
        service: { name: "missing", port: 1 },
      },
      { path: "/j", methods: ["GET"], jwt: JWT },
      {
        path: "/k",
        methods: ["GET"],
        jwt: { authentications: [{ ...JWT.authentications[0]!, fromParams: ["t"] }] },
      },
    ],
    failures: [
      [".spec.rules[0].jwt.authentications", "A JWT config must have at least one authentication"],
      [".spec.rules[0].path", "Only one {**} operator is allowed in the path."],
      [".spec.rules[1]", `${INJECTION} services "missing" not found`],
      [
        ".spec.rules[1].extAuth.externalAuthorizers.nope",
        "Authorizer not found in Istio ConfigMap mesh data",
      ],
      [".spec.rules[1].path", "Only one {**} operator is allowed in the path."],
      [
        ".spec.rules",
        "Path /a/{**}/{**} with method GET conflicts with at least one of the previous rule paths",
      ],
      [
        ".spec.rules[3].jwt.authentications[0]",
        "multiple jwt configurations that differ for the same issuer",
      ],
    ],
  },
];

Deno.test("ruleFailures() checks every rule (R0–R5, in order with J, E and P)", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => {
      const checked = ruleFailures({
        namespace: "demo",
        rules: tc.rules,
        specService: "specService" in tc ? tc.specService : SVC,
      }, cluster(tc.facts));
      assert.deepEqual(
        checked.failures,
        tc.failures.map(([attributePath, message]) => ({ attributePath, message })),
      );
    });
  }
});

Deno.test("ruleFailures() skips rules that failed the schema", () => {
  const checked = ruleFailures({
    namespace: "demo",
    rules: [undefined, { path: "/a/{**}/{**}", methods: ["GET"], noAuth: true }],
    specService: SVC,
  }, cluster());
  assert.deepEqual(checked.failures.map((f) => f.attributePath), [".spec.rules[1].path"]);
});

Deno.test("ruleFailures() skips Service checks of a malformed spec service", () => {
  const checked = ruleFailures({
    namespace: "demo",
    rules: [NOAUTH],
    specService: "invalid",
  }, cluster({ services: [] }));
  assert.deepEqual(checked, { failures: [], notes: [] });
});

Deno.test("ruleFailures() notes Service and Pod checks it could not run", () => {
  const partial = { services: [service("demo", "httpbin")] };
  assert.deepEqual(
    ruleFailures(
      {
        namespace: "demo",
        rules: [NOAUTH, {
          ...NOAUTH,
          path: "/x",
          service: { name: "s", namespace: "ns", port: 1 },
        }],
        specService: SVC,
      },
      partial,
    ).notes,
    [
      'Sidecar checks skipped: no Pods in namespace "demo" in the input',
      'Service checks skipped: no Service "ns/s" in the input',
    ],
  );
});
