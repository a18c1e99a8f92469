import assert from "node:assert/strict";
import {
  describeV1beta1Failures,
  ruleFailures,
  validateAPIRuleV1beta1,
} from "./apirule_v1beta1.ts";
import type { ValidationFacts } from "./facts.ts";
import { cluster, defined, gateway, pod, service, virtualService } from "./_testing.ts";
import { hostFailures } from "./_v1beta1_host.ts";
import type { JwtMode } from "./_v1beta1_strategies.ts";

const S = ".spec.rules[0].accessStrategies[0]";
const ISTIO_JWT = {
  authentications: [{ issuer: "https://dex.example.com", jwksUri: "https://dex.example.com/keys" }],
};
const ISSUER_NUMBER =
  "json: cannot unmarshal number into Go struct field JwtConfig.authentications.issuer of type string";
const ORY_JWT = {
  trusted_issuers: ["https://dex.example.com"],
  jwks_urls: ["https://dex.example.com/keys"],
};

function apiRule(spec: Record<string, unknown>, rules?: unknown[]): unknown {
  return {
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name: "orders", namespace: "demo" },
    spec: defined({
      host: "orders.example.com",
      gateway: "kyma-system/kyma-gateway",
      service: { name: "httpbin", port: 8080 },
      rules: rules ?? [{ path: "/.*", methods: ["GET"], accessStrategies: [{ handler: "allow" }] }],
      ...spec,
    }),
  };
}

function jwtRule(config: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    path: "/orders",
    methods: ["GET"],
    accessStrategies: [{ handler: "jwt", config }],
    ...extra,
  };
}

function failures(object: unknown, facts: ValidationFacts): Array<[string, string]> {
  return validateAPIRuleV1beta1(object, facts).failures.map((f) => [f.attributePath, f.message]);
}

type Case = {
  name: string;
  rules?: unknown[];
  spec?: Record<string, unknown>;
  mode?: "ory" | "istio";
  facts?: Partial<ValidationFacts>;
  failures: Array<[string, string]>;
};

const CASES: Case[] = [
  {
    name: "§4 fails on an unsupported JWT handler",
    facts: { jwtHandler: "" },
    failures: [["", "Unsupported JWT Handler: "]],
  },
  { name: "§4 passes ory", failures: [] },
  {
    name: "§10.1 fails on a short host without default domain",
    spec: { host: "orders" },
    facts: { gateways: [] },
    failures: [[
      ".spec.host",
      "Host does not contain a domain name and no default domain name is configured",
    ]],
  },
  {
    name: "§10.1 fails on a short host when the default Gateway has two HTTPS servers",
    spec: { host: "orders" },
    facts: { gateways: [gateway("kyma-system", "kyma-gateway", ["*.a.dev"], ["*.b.dev"])] },
    failures: [[
      ".spec.host",
      'Cannot derive the default domain from Gateway "kyma-system/kyma-gateway": it has 2 HTTPS servers, not 1',
    ]],
  },
  {
    name: "§10.1 passes a short host with the default domain",
    spec: { host: "orders" },
    failures: [],
  },
  {
    name: "§10.1 fails on a host of a foreign VirtualService",
    spec: { host: "orders" },
    facts: { virtualServices: [virtualService("other", "vs", ["orders.local.kyma.dev"])] },
    failures: [[".spec.host", "This host is occupied by another Virtual Service (other/vs)"]],
  },
  {
    name: "§10.1 passes a VirtualService with the legacy owner label",
    facts: {
      virtualServices: [
        virtualService("demo", "vs", ["orders.example.com"], {
          "apirule.gateway.kyma-project.io/v1beta1": "orders.demo",
        }),
      ],
    },
    failures: [],
  },
  {
    name: "§10.2 fails on two rules with the same path and method",
    rules: [
      { path: "/items", methods: ["GET", "POST"], accessStrategies: [{ handler: "noop" }] },
      { path: "/items", methods: ["POST"], accessStrategies: [{ handler: "allow" }] },
    ],
    failures: [[".spec.rules", "multiple rules defined for the same path and method"]],
  },
  {
    name: "§10.2 passes the same path with other methods",
    rules: [
      { path: "/items", methods: ["GET"], accessStrategies: [{ handler: "noop" }] },
      { path: "/items", methods: ["POST"], accessStrategies: [{ handler: "allow" }] },
    ],
    failures: [],
  },
  {
    name: "§10.2 fails on a rule without service and skips its strategies",
    spec: { service: undefined },
    rules: [{ path: "/.*", methods: ["GET"], accessStrategies: [{ handler: "basic_auth" }] }],
    failures: [[".spec.rules[0].service", "No service defined with no main service on spec level"]],
  },
  {
    name: "§10.3 fails on an exclusive strategy with another one (ory)",
    rules: [{
      path: "/a",
      methods: ["GET"],
      accessStrategies: [{ handler: "noop" }, { handler: "anonymous" }],
    }],
    failures: [[
      ".spec.rules[0].accessStrategies.accessStrategies[0].handler",
      "noop access strategy is not allowed in combination with other access strategies",
    ]],
  },
  {
    name: "§10.3 fails on jwt with another strategy in istio mode only",
    mode: "istio",
    rules: [{
      path: "/a",
      methods: ["GET"],
      accessStrategies: [{ handler: "oauth2_introspection" }, {
        handler: "jwt",
        config: ISTIO_JWT,
      }],
    }],
    failures: [[
      ".spec.rules[0].accessStrategies.accessStrategies[1].handler",
      "jwt access strategy is not allowed in combination with other access strategies",
    ]],
  },
  {
    name: "§10.3 passes jwt with another secure strategy in ory mode",
    rules: [{
      path: "/a",
      methods: ["GET"],
      accessStrategies: [{ handler: "oauth2_introspection" }, { handler: "jwt", config: ORY_JWT }],
    }],
    failures: [],
  },
  {
    name: "§10.3 fails on secure and unsecure strategies together",
    rules: [{
      path: "/a",
      methods: ["GET"],
      accessStrategies: [{ handler: "cookie_session" }, { handler: "anonymous" }],
    }],
    failures: [[
      ".spec.rules[0].accessStrategies",
      "Secure access strategies cannot be used in combination with unsecure access strategies",
    ]],
  },
  {
    name: "§10.3 fails on a config for a handler that takes none",
    rules: [{
      path: "/a",
      methods: ["GET"],
      accessStrategies: [{ handler: "allow", config: { x: 1 } }],
    }],
    failures: [[`${S}.config`, "strategy: allow does not support configuration"]],
  },
  {
    name: "§10.3 passes an empty config and any oauth2 config",
    rules: [
      { path: "/a", methods: ["GET"], accessStrategies: [{ handler: "allow", config: {} }] },
      {
        path: "/b",
        methods: ["GET"],
        accessStrategies: [{ handler: "oauth2_introspection", config: { x: 1 } }],
      },
    ],
    failures: [],
  },
  {
    name: "§10.3 fails on an unknown handler",
    rules: [{ path: "/.*", methods: ["GET"], accessStrategies: [{ handler: "basic_auth" }] }],
    failures: [[`${S}.handler`, "Unsupported accessStrategy: basic_auth"]],
  },
  {
    name: "§10.4 fails on an empty jwt config",
    rules: [jwtRule({})],
    failures: [[`${S}.config`, "supplied config cannot be empty"]],
  },
  {
    name: "§10.4 fails on a config Go cannot decode",
    rules: [jwtRule({ trusted_issuers: "https://dex" })],
    failures: [[
      `${S}.config`,
      "Can't read json: json: cannot unmarshal string into Go struct field JWTAccStrConfig.trusted_issuers of type []string",
    ]],
  },
  {
    name: "§10.4 fails on Istio authentications",
    rules: [jwtRule({ ...ORY_JWT, ...ISTIO_JWT })],
    failures: [[
      `${S}.config.authentications`,
      "Configuration for authentications is not supported with Ory handler",
    ]],
  },
  {
    name: "§10.4 fails on issuers and JWKS URLs that are not URIs",
    rules: [jwtRule({ trusted_issuers: ["https://ok", "keys.json"], jwks_urls: [""] })],
    failures: [
      [
        `${S}.config.trusted_issuers[1]`,
        'value is empty or not a valid uri err=parse "keys.json": invalid URI for request',
      ],
      [`${S}.config.jwks_urls[0]`, "value is empty or not a valid uri err=value is empty"],
    ],
  },
  { name: "§10.4 passes an Ory config", rules: [jwtRule(ORY_JWT)], failures: [] },
  {
    name: "§10.5 fails on an empty jwt config",
    mode: "istio",
    rules: [jwtRule(null)],
    failures: [[`${S}.config`, "supplied config cannot be empty"]],
  },
  {
    name: "§10.5 fails on a config Go cannot decode",
    mode: "istio",
    rules: [jwtRule({ authentications: [{ issuer: 5 }] })],
    // The cross-rule check of §10.7 decodes the config again and says so too, as upstream does.
    failures: [
      [`${S}.config`, `Can't read json: ${ISSUER_NUMBER}`],
      [".spec.rules[0].accessStrategy[0]", `Can't read json: ${ISSUER_NUMBER}`],
    ],
  },
  {
    name: "§10.5 fails on Ory keys",
    mode: "istio",
    rules: [jwtRule({ ...ISTIO_JWT, ...ORY_JWT, required_scope: ["read"] })],
    failures: [
      [`${S}.config.jwks_urls`, "Configuration for jwks_urls is not supported with Istio handler"],
      [
        `${S}.config.required_scopes`,
        "Configuration for required_scopes is not supported with Istio handler",
      ],
      [
        `${S}.config.trusted_issuers`,
        "Configuration for trusted_issuers is not supported with Istio handler",
      ],
    ],
  },
  {
    name: "§10.5 fails on empty authorizations",
    mode: "istio",
    rules: [jwtRule({ ...ISTIO_JWT, authorizations: [] })],
    failures: [[`${S}.config.authorizations`, "value is empty"]],
  },
  {
    name: "§10.5 fails on null, empty and blank authorization values",
    mode: "istio",
    rules: [
      jwtRule({
        ...ISTIO_JWT,
        authorizations: [null, { requiredScopes: [] }, { audiences: [""] }],
      }),
    ],
    failures: [
      [`${S}.config.authorizations[0]`, "authorization is empty"],
      [`${S}.config.authorizations[1].requiredScopes`, "value is empty"],
      [`${S}.config.authorizations[2].audiences`, "audience value is empty"],
    ],
  },
  {
    name: "§10.5 fails without authentications",
    mode: "istio",
    rules: [jwtRule({ authorizations: [{ audiences: ["shop"] }] })],
    failures: [[S, "Authentications are required when using JWT access handler"]],
  },
  {
    name: "§10.5 fails on authentication details",
    mode: "istio",
    rules: [jwtRule({
      authentications: [
        { issuer: "", jwksUri: "https://k", fromParams: ["a", "b"] },
        { issuer: "https://i", jwksUri: "https://k", fromHeaders: [{ name: "X" }] },
      ],
    })],
    failures: [
      [
        `${S}.config.authentications[0].issuer`,
        "value is empty or not a valid uri err=value is empty",
      ],
      [`${S}.config.authentications[0].fromParams`, "multiple fromParams are not supported"],
      [
        `${S}.config.authentications[1].fromHeaders`,
        "mixture of multiple fromHeaders and fromParams is not supported",
      ],
    ],
  },
  {
    name: "§10.5 passes an Istio config",
    mode: "istio",
    rules: [
      jwtRule({
        ...ISTIO_JWT,
        authorizations: [{ requiredScopes: ["read"], audiences: ["shop"] }],
      }),
    ],
    failures: [],
  },
  {
    name: "§10.5 fails on a Service without selector",
    mode: "istio",
    rules: [jwtRule(ISTIO_JWT)],
    facts: { services: [service("demo", "httpbin", {})] },
    failures: [[`${S}.injection.injection`, "Target service label selectors are not defined"]],
  },
  {
    name: "§10.5 fails on a Pod without sidecar",
    mode: "istio",
    rules: [jwtRule(ISTIO_JWT)],
    facts: { pods: [pod("demo", "httpbin-1", { app: "httpbin" }, { containers: ["app"] })] },
    failures: [[`${S}.injection`, "Pod demo/httpbin-1 does not have an injected istio sidecar"]],
  },
  {
    name: "§10.5 skips the sidecar check for a missing Service",
    mode: "istio",
    rules: [jwtRule(ISTIO_JWT)],
    facts: { services: [] },
    failures: [],
  },
  {
    name: "§10.6 fails on mutators of a jwt rule",
    mode: "istio",
    rules: [jwtRule(ISTIO_JWT, {
      mutators: [
        { handler: "header", config: { headers: { "": "x" } } },
        { handler: "header" },
        { handler: "cookie", config: { cookies: {} } },
        { handler: "cookie", config: { cookies: "a=b" } },
        { handler: "id_token" },
      ],
    })],
    failures: [
      [".spec.rules[0].mutators[1].handler.header", "mutator for same handler already exists"],
      [".spec.rules[0].mutators[3].handler.cookie", "mutator for same handler already exists"],
      [".spec.rules[0].mutators[0].handler.config.headers.name", "cannot be empty"],
      [".spec.rules[0].mutators[1].handler.config", "headers cannot be empty"],
      [".spec.rules[0].mutators[2].handler.config", "cookies cannot be empty"],
      [
        ".spec.rules[0].mutators[3].handler.config",
        "Can't read json: json: cannot unmarshal string into Go struct field CookieMutatorConfig.cookies of type map[string]string",
      ],
      [".spec.rules[0].mutators[4].handler", "unsupported mutator: id_token"],
    ],
  },
  {
    name: "§10.6 passes header and cookie mutators",
    mode: "istio",
    rules: [jwtRule(ISTIO_JWT, {
      mutators: [{ handler: "header", config: { headers: { "X-A": "1" } } }, {
        handler: "cookie",
        config: { cookies: { a: "b" } },
      }],
    })],
    failures: [],
  },
  {
    name: "§10.6 leaves mutators alone in ory mode",
    rules: [jwtRule(ORY_JWT, { mutators: [{ handler: "id_token" }] })],
    failures: [],
  },
  {
    name: "§10.7 fails on a different extraction for the same issuer",
    mode: "istio",
    rules: [
      jwtRule(ISTIO_JWT),
      {
        ...jwtRule({ authentications: [{ ...ISTIO_JWT.authentications[0], fromParams: ["t"] }] }),
        path: "/b",
      },
    ],
    failures: [[
      ".spec.rules[1].accessStrategy[0].config.authentications[0]",
      "multiple jwt configurations that differ for the same issuer",
    ]],
  },
  {
    name: "issue 14 fails on a path RE2 refuses, in either mode; a catastrophic one is fine",
    rules: [
      { path: "/a(?!b)", methods: ["GET"], accessStrategies: [{ handler: "allow" }] },
      { path: "/(a)\\1", methods: ["GET"], accessStrategies: [{ handler: "allow" }] },
      { path: "/api/(a+)+/x", methods: ["GET"], accessStrategies: [{ handler: "allow" }] },
      { path: "/*", methods: ["GET"], accessStrategies: [{ handler: "allow" }] },
    ],
    mode: "istio",
    failures: [
      [
        ".spec.rules[0].path",
        '"/a(?!b)" is not a valid RE2 regular expression: ' +
        "invalid or unsupported Perl syntax: `(?!`",
      ],
      [
        ".spec.rules[1].path",
        '"/(a)\\\\1" is not a valid RE2 regular expression: invalid escape sequence: `\\1`',
      ],
    ],
  },
  {
    name: "issue 14 fails on a CORS allowOrigins regex RE2 refuses",
    spec: {
      corsPolicy: {
        allowOrigins: [{ exact: "https://a" }, { regex: "https://(?<=x)" }, { regex: ".*" }],
      },
    },
    failures: [[
      ".spec.corsPolicy.allowOrigins[1].regex",
      '"https://(?<=x)" is not a valid RE2 regular expression: invalid named capture: `(?<=x)`',
    ]],
  },
];

Deno.test("validateAPIRuleV1beta1() runs the checks of §10 in both modes", async (t) => {
  for (const tc of CASES) {
    await t.step(tc.name, () => {
      const facts = cluster({ jwtHandler: tc.mode ?? "ory", ...tc.facts });
      const object = apiRule(tc.spec ?? {}, tc.rules);
      assert.deepEqual(failures(object, facts), tc.failures);
    });
  }
});

Deno.test("hostFailures() reports a missing host (§10.1)", () => {
  assert.deepEqual(hostFailures({ name: "a", namespace: "b" }, undefined, {}).failures, [
    { attributePath: ".spec.host", message: "Host was nil" },
  ]);
});

Deno.test("ruleFailures() reports an empty rule list and empty strategies (§10.2, §10.3)", () => {
  const mode: JwtMode = "ory";
  const context = { namespace: "demo", specService: { name: "httpbin", port: 80 }, mode };
  assert.deepEqual(ruleFailures([], context, cluster()).failures, [
    { attributePath: ".spec.rules", message: "No rules defined" },
  ]);
  assert.deepEqual(
    ruleFailures([{ path: "/a", methods: ["GET"], accessStrategies: [] }], context, cluster())
      .failures,
    [{ attributePath: ".spec.rules[0].accessStrategies", message: "No accessStrategies defined" }],
  );
});

Deno.test("validateAPIRuleV1beta1() takes the mode from the jwt dialect when it is unknown", () => {
  const facts = cluster();
  delete facts.jwtHandler;
  const checked = validateAPIRuleV1beta1(apiRule({}, [jwtRule({ authentications: [] })]), facts);
  assert.deepEqual(checked.failures, [{
    attributePath: S,
    message: "Authentications are required when using JWT access handler",
  }]);
  assert.deepEqual(checked.notes, [
    'JWT handler unknown: no ConfigMap "kyma-system/api-gateway-config" in the input; jwt rules checked in istio mode, the dialect their configs use',
  ]);
});

Deno.test("describeV1beta1Failures() formats one, several and more than three failures (§11.1)", async (t) => {
  const f = (n: number) => ({ attributePath: `.spec.rules[${n}]`, message: `m${n}` });
  const cases: Array<[string, number, string]> = [
    ["none", 0, ""],
    ["one", 1, 'Validation error: Attribute ".spec.rules[0]": m0'],
    [
      "two",
      2,
      'Multiple validation errors: \nAttribute ".spec.rules[0]": m0\nAttribute ".spec.rules[1]": m1',
    ],
    [
      "five",
      5,
      'Multiple validation errors: \nAttribute ".spec.rules[0]": m0\nAttribute ".spec.rules[1]": m1\nAttribute ".spec.rules[2]": m2\n2 more error(s)...',
    ],
  ];
  for (const [name, count, expected] of cases) {
    await t.step(name, () => {
      assert.equal(
        describeV1beta1Failures(Array.from({ length: count }, (_, i) => f(i))),
        expected,
      );
    });
  }
  await t.step("the config failure", () => {
    assert.equal(
      describeV1beta1Failures([{ attributePath: "", message: "Unsupported JWT Handler: x" }]),
      'Validation error: Attribute "": Unsupported JWT Handler: x',
    );
  });
});

Deno.test("validateAPIRuleV1beta1() reads the paths of a v2 object's v1beta1 view as templates (issue 14)", () => {
  const view = apiRule({}, [
    { path: "/orders/{**}", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] },
  ]);
  const facts = cluster({ jwtHandler: "ory" });
  assert.deepEqual(failures(view, facts), [[
    ".spec.rules[0].path",
    '"/orders/{**}" is not a valid RE2 regular expression: invalid nested repetition operator: `**`',
  ]]);
  const annotated = (original: string) => ({
    ...(view as Record<string, unknown>),
    metadata: {
      name: "orders",
      namespace: "demo",
      annotations: { "gateway.kyma-project.io/original-version": original },
    },
  });
  assert.deepEqual(failures(annotated("v2"), facts), []);
  assert.deepEqual(failures(annotated("v2alpha1"), facts), []);
  assert.equal(failures(annotated("v1beta1"), facts).length, 1);
});
