/**
 * One case table for every front end of the decision pipeline (issue 14): the same objects and
 * the same requests go through `apigw authz` (Envoy's HTTP ext_authz form) and `apigw serve`
 * (the embedded gateway), and `apigw authz --grpc-listen` (Envoy's gRPC ext_authz form). Data only: runners live
 * in the tests that use it.
 *
 * Where a front end legitimately answers differently, the row says so in `modes`, with why:
 * local rate limits and CORS preflights are Envoy filters in the mesh (never an ext_authz
 * question), a request no rule matches is `rate_limit_only` for a workload with global limits in
 * `apigw authz` but has no route in `apigw serve`, route errors (an unreachable upstream) exist
 * only where apigw forwards, and Oathkeeper-only v1beta1 rules are served by `apigw authz` only.
 */

/** What a front end answers: the status and the stable reason of the deciding step. */
export interface Expect {
  status: number;
  reason: string;
}

/** One request, as sent on the wire. */
export interface Case {
  name: string;
  /** The virtual host (the `Host` header). */
  host: string;
  method?: string;
  /** The request target as sent: path and raw query, not normalised. */
  target: string;
  /**
   * Header lines in order (a name may repeat). `{{name}}` in a value (or the target) is
   * replaced by the token `TOKENS[name]` the runner signs, or by a fresh value per run for a
   * name in `RUN_KEYS` (so buckets in a shared Redis start full).
   */
  headers?: readonly (readonly [string, string])[];
  expect: Expect;
  /**
   * Answers that differ per front end on purpose, and why. The gRPC ext_authz check answers
   * what the HTTP one (`authz`) does unless `grpc` says otherwise.
   */
  modes?: { authz?: Expect; serve?: Expect; grpc?: Expect; why: string };
}

/** The front ends the table knows: HTTP ext_authz, the embedded gateway, gRPC ext_authz. */
export type FrontEnd = "authz" | "serve" | "grpc";

/** What a case expects from `frontEnd`. */
export function expected(c: Case, frontEnd: FrontEnd): Expect {
  if (frontEnd === "grpc") return c.modes?.grpc ?? c.modes?.authz ?? c.expect;
  return c.modes?.[frontEnd] ?? c.expect;
}

/** Tokens the runner signs with the test issuer's key: claims, lifetime, which key. */
export interface TokenSpec {
  claims: Record<string, unknown>;
  /** Seconds from now to `exp`; negative for an expired token. */
  expiresIn: number;
  /** Signed with a key the JWKS does not serve. */
  unknownKey?: boolean;
  /** Signed by the second issuer (`Peers.otherIssuer`). */
  other?: boolean;
}

/** Rate limit keys the runner draws afresh for each front end run. */
export const RUN_KEYS = ["keyA", "keyB"] as const;

export const TOKENS: Readonly<Record<string, TokenSpec>> = {
  read: { claims: { sub: "alice", scope: "orders:read" }, expiresIn: 600 },
  write: { claims: { sub: "bob", scope: "orders:write" }, expiresIn: 600 },
  audience: { claims: { sub: "carol", aud: "orders-api" }, expiresIn: 600 },
  expired: { claims: { sub: "dave", scope: "orders:read" }, expiresIn: -3600 },
  foreign: { claims: { sub: "eve", scope: "orders:read" }, expiresIn: 600, unknownKey: true },
  other: { claims: { sub: "frank" }, expiresIn: 600, other: true },
};

/** Where the objects point: the token issuer and the upstream both front ends use. */
export interface Peers {
  issuer: string;
  jwksUri: string;
  /** A second issuer, for the rule reading tokens from another header. */
  otherIssuer: string;
  otherJwksUri: string;
  /** Port of the upstream (an ExternalName Service to 127.0.0.1, and the APIRules' port). */
  upstreamPort: number;
  /** A loopback port nothing listens on: the upstream of a route that cannot be reached. */
  closedPort: number;
  /** The address checks come from in `apigw authz` mode: the workload Pod's. */
  podIP: string;
}

export const ORDERS = "orders.local.kyma.dev";
export const LEGACY = "legacy.local.kyma.dev";
export const OATHKEEPER = "oathkeeper.local.kyma.dev";
export const DOWN = "down.local.kyma.dev";
/** The extAuth authorizer both front ends are started as (`--provider-name`). */
export const PROVIDER = "apigw-authz";

/** Every object both front ends load: Gateway, Service, Pod, APIRules v2 and v1beta1, RateLimit. */
export function objects(peers: Peers): unknown[] {
  const authentication = { issuer: peers.issuer, jwksUri: peers.jwksUri };
  const jwt = (authorizations: unknown[] = []) => ({
    authentications: [authentication],
    ...(authorizations.length > 0 ? { authorizations } : {}),
  });
  const bucket = (maxTokens: number) => ({ maxTokens, tokensPerFill: 1, fillInterval: "1h" });
  return [
    {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { namespace: "kyma-system", name: "kyma-gateway" },
      spec: {
        selector: { app: "istio-ingressgateway" },
        servers: [{
          hosts: ["*.local.kyma.dev"],
          port: { number: 443, name: "https", protocol: "HTTPS" },
        }],
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "orders", namespace: "shop", labels: { app: "orders" } },
      spec: {
        type: "ExternalName",
        externalName: "127.0.0.1",
        selector: { app: "orders" },
        ports: [{ port: peers.upstreamPort }],
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "down", namespace: "shop", labels: { app: "down" } },
      spec: {
        type: "ExternalName",
        externalName: "127.0.0.1",
        selector: { app: "orders" },
        ports: [{ port: peers.closedPort }],
      },
    },
    {
      apiVersion: "gateway.kyma-project.io/v2",
      kind: "APIRule",
      metadata: { name: "down", namespace: "shop" },
      spec: {
        gateway: "kyma-system/kyma-gateway",
        hosts: [DOWN],
        service: { name: "down", namespace: "shop", port: peers.closedPort },
        rules: [{ path: "/{**}", methods: ["GET"], noAuth: true }],
      },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "orders-0",
        namespace: "shop",
        labels: { app: "orders" },
        annotations: { "sidecar.istio.io/status": "{}" },
      },
      spec: { containers: [{ name: "orders" }, { name: "istio-proxy" }] },
      status: { podIP: peers.podIP, podIPs: [{ ip: peers.podIP }] },
    },
    {
      apiVersion: "gateway.kyma-project.io/v2",
      kind: "APIRule",
      metadata: { name: "orders", namespace: "shop" },
      spec: {
        gateway: "kyma-system/kyma-gateway",
        hosts: [ORDERS],
        service: { name: "orders", namespace: "shop", port: peers.upstreamPort },
        corsPolicy: { allowOrigins: [{ exact: "https://app.test" }], allowMethods: ["GET"] },
        rules: [
          { path: "/public/{**}", methods: ["GET"], noAuth: true },
          { path: "/local-limited", methods: ["GET"], noAuth: true },
          { path: "/global-limited", methods: ["GET"], noAuth: true },
          {
            path: "/read",
            methods: ["GET", "OPTIONS"],
            jwt: jwt([{ requiredScopes: ["orders:read"] }]),
          },
          { path: "/audience", methods: ["GET"], jwt: jwt([{ audiences: ["orders-api"] }]) },
          {
            path: "/custom",
            methods: ["GET"],
            jwt: {
              // One issuer has one token location config per APIRule: a second issuer here.
              authentications: [{
                issuer: peers.otherIssuer,
                jwksUri: peers.otherJwksUri,
                fromHeaders: [{ name: "x-jwt", prefix: "JWT " }],
              }],
            },
          },
          {
            path: "/ext",
            methods: ["GET"],
            extAuth: {
              authorizers: [PROVIDER],
              restrictions: jwt([{ requiredScopes: ["orders:read"] }]),
            },
          },
          { path: "/ext-elsewhere", methods: ["GET"], extAuth: { authorizers: ["someone-else"] } },
        ],
      },
    },
    {
      // Expressible in v2 (no_auth, Istio-dialect jwt, plain paths): both front ends serve it.
      apiVersion: "gateway.kyma-project.io/v1beta1",
      kind: "APIRule",
      metadata: { name: "legacy", namespace: "shop" },
      spec: {
        host: LEGACY,
        gateway: "kyma-system/kyma-gateway",
        service: { name: "orders", port: peers.upstreamPort },
        rules: [
          { path: "/no-auth", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] },
          {
            path: "/istio-jwt",
            methods: ["GET"],
            accessStrategies: [{
              handler: "jwt",
              config: jwt([{ requiredScopes: ["orders:read"] }]),
            }],
          },
        ],
      },
    },
    {
      // Oathkeeper handlers: `apigw authz` decides them; `apigw serve` serves only v1beta1
      // rules expressible in v2 (docs/spec/conversion.md §3) and reports this one as not served.
      apiVersion: "gateway.kyma-project.io/v1beta1",
      kind: "APIRule",
      metadata: { name: "oathkeeper", namespace: "shop" },
      spec: {
        host: OATHKEEPER,
        gateway: "kyma-system/kyma-gateway",
        service: { name: "orders", port: peers.upstreamPort },
        rules: [
          { path: "/allow", methods: ["GET"], accessStrategies: [{ handler: "allow" }] },
          {
            path: "/unauthorized",
            methods: ["GET"],
            accessStrategies: [{ handler: "unauthorized" }],
          },
          {
            path: "/ory-jwt",
            methods: ["GET"],
            accessStrategies: [{
              handler: "jwt",
              config: {
                jwks_urls: [peers.jwksUri],
                trusted_issuers: [peers.issuer],
                required_scope: ["orders:read"],
              },
            }],
          },
        ],
      },
    },
    {
      apiVersion: "gateway.kyma-project.io/v1alpha1",
      kind: "RateLimit",
      metadata: { name: "orders-limit", namespace: "shop" },
      spec: {
        selectorLabels: { app: "orders" },
        local: {
          defaultBucket: bucket(10_000),
          buckets: [{ path: "/local-limited", bucket: bucket(2) }],
        },
        global: {
          key: { header: { name: "x-api-key" } },
          defaultBucket: bucket(10_000),
          buckets: [{ path: "/global-limited", bucket: bucket(2) }],
        },
      },
    },
  ];
}

const bearer = (token: string) => ["authorization", `Bearer {{${token}}}`] as const;

const LOCAL_LIMIT_WHY = "local buckets are Envoy's local_ratelimit filter in the mesh, " +
  "never an ext_authz decision; apigw serve enforces them itself";

const OATHKEEPER_WHY = "apigw serve serves a v1beta1 APIRule only when its rules are " +
  "expressible in v2 (docs/spec/conversion.md §3); Oathkeeper handlers are apigw authz's";

/** The cases, run in order (the rate limit rows count on the ones before them). */
export const CASES: readonly Case[] = [
  // v2 noAuth and routing.
  { name: "noAuth", host: ORDERS, target: "/public/a", expect: { status: 200, reason: "no_auth" } },
  {
    name: "no rule matches",
    host: ORDERS,
    target: "/nowhere",
    expect: { status: 404, reason: "no_rule_matched" },
    modes: {
      authz: { status: 200, reason: "rate_limit_only" },
      why: "apigw authz decides for a workload with global limits even without a rule " +
        "(the sidecar routes the request); apigw serve has no route for it",
    },
  },
  {
    name: "CORS preflight of a jwt path",
    host: ORDERS,
    method: "OPTIONS",
    target: "/read",
    headers: [["origin", "https://app.test"], ["access-control-request-method", "GET"]],
    expect: { status: 200, reason: "cors_preflight" },
    modes: {
      authz: { status: 401, reason: "missing_token" },
      why: "in the mesh Envoy's CORS filter answers a preflight from an allowed origin before " +
        "ext_authz is asked; apigw serve answers it itself, as that filter does",
    },
  },
  {
    name: "upstream unreachable",
    host: DOWN,
    target: "/a",
    expect: { status: 200, reason: "no_auth" },
    modes: {
      serve: { status: 502, reason: "upstream_unavailable" },
      why: "apigw authz only decides; reaching the upstream is Envoy's (503 from the sidecar), " +
        "apigw serve forwards and says why it could not",
    },
  },
  // v2 jwt: authentication.
  {
    name: "jwt without a token",
    host: ORDERS,
    target: "/read",
    expect: { status: 401, reason: "missing_token" },
  },
  {
    name: "jwt with a valid token",
    host: ORDERS,
    target: "/read",
    headers: [bearer("read")],
    expect: { status: 200, reason: "jwt_valid" },
  },
  {
    name: "jwt with an expired token",
    host: ORDERS,
    target: "/read",
    headers: [bearer("expired")],
    expect: { status: 401, reason: "token_expired" },
  },
  {
    name: "jwt signed by a key the JWKS lacks",
    host: ORDERS,
    target: "/read",
    headers: [bearer("foreign")],
    expect: { status: 401, reason: "unknown_key" },
  },
  {
    name: "jwt with a non-JWT bearer",
    host: ORDERS,
    target: "/read",
    headers: [["authorization", "Bearer abc"]],
    expect: { status: 401, reason: "malformed_token" },
  },
  {
    name: "jwt with another scheme",
    host: ORDERS,
    target: "/read",
    headers: [["authorization", "Basic dXNlcjpwYXNz"]],
    expect: { status: 401, reason: "malformed_token" },
  },
  // v2 jwt: authorization.
  {
    name: "jwt lacking the required scope",
    host: ORDERS,
    target: "/read",
    headers: [bearer("write")],
    expect: { status: 403, reason: "insufficient_scope" },
  },
  {
    name: "jwt with the required audience",
    host: ORDERS,
    target: "/audience",
    headers: [bearer("audience")],
    expect: { status: 200, reason: "jwt_valid" },
  },
  {
    name: "jwt lacking the required audience",
    host: ORDERS,
    target: "/audience",
    headers: [bearer("read")],
    expect: { status: 403, reason: "audience_not_allowed" },
  },
  // Token location and ambiguity (issue 14, attack class 5).
  {
    name: "access_token parameter",
    host: ORDERS,
    target: "/read?access_token={{read}}",
    expect: { status: 200, reason: "jwt_valid" },
  },
  {
    name: "percent-encoded access_token key is the parameter",
    host: ORDERS,
    target: "/read?access%5Ftoken={{read}}",
    expect: { status: 200, reason: "jwt_valid" },
  },
  {
    name: "header + access%5Ftoken",
    host: ORDERS,
    target: "/read?access%5Ftoken={{write}}",
    headers: [bearer("read")],
    expect: { status: 401, reason: "ambiguous_token" },
  },
  {
    name: "header + %61ccess_token",
    host: ORDERS,
    target: "/read?%61ccess_token={{write}}",
    headers: [bearer("read")],
    expect: { status: 401, reason: "ambiguous_token" },
  },
  {
    name: "header + access_token",
    host: ORDERS,
    target: "/read?x=1&access_token={{read}}",
    headers: [bearer("read")],
    expect: { status: 401, reason: "ambiguous_token" },
  },
  {
    name: "header + Access_Token (a case-insensitive upstream's access_token)",
    host: ORDERS,
    target: "/read?Access_Token={{write}}",
    headers: [bearer("read")],
    expect: { status: 401, reason: "ambiguous_token" },
  },
  {
    name: "header + access.token (PHP's access_token)",
    host: ORDERS,
    target: "/read?access.token={{write}}",
    headers: [bearer("read")],
    expect: { status: 401, reason: "ambiguous_token" },
  },
  ...["+access_token", "access%255Ftoken", "x=1;access_token", "access%5Btoken"].map((
    key,
  ): Case => ({
    name: `header + ${key} (a lenient upstream's access_token)`,
    host: ORDERS,
    target: `/read?${key}={{write}}`,
    headers: [bearer("read")],
    expect: { status: 401, reason: "ambiguous_token" },
  })),
  {
    name: "Access_Token alone is no token (Envoy matches the decoded name exactly)",
    host: ORDERS,
    target: "/read?Access_Token={{read}}",
    expect: { status: 401, reason: "missing_token" },
  },
  {
    name: "header + an undecodable access_token",
    host: ORDERS,
    target: "/read?access_token=%E2%82",
    headers: [bearer("read")],
    expect: { status: 401, reason: "ambiguous_token" },
  },
  {
    name: "header + an empty access_token",
    host: ORDERS,
    target: "/read?access_token=",
    headers: [bearer("read")],
    expect: { status: 401, reason: "ambiguous_token" },
  },
  {
    name: "access_token twice",
    host: ORDERS,
    target: "/read?access_token={{read}}&access_token={{read}}",
    expect: { status: 401, reason: "ambiguous_token" },
  },
  {
    name: "two Authorization headers",
    host: ORDERS,
    target: "/read",
    headers: [bearer("read"), bearer("read")],
    expect: { status: 401, reason: "ambiguous_token" },
  },
  {
    name: "an undecodable access_token",
    host: ORDERS,
    target: "/read?access_token=%zz",
    expect: { status: 401, reason: "malformed_token" },
  },
  {
    name: "an undecodable key is no token",
    host: ORDERS,
    target: "/read?access%zztoken=x&%E2%82=1",
    headers: [bearer("read")],
    expect: { status: 200, reason: "jwt_valid" },
  },
  {
    name: "fromHeaders token",
    host: ORDERS,
    target: "/custom",
    headers: [["x-jwt", "JWT {{other}}"]],
    expect: { status: 200, reason: "jwt_valid" },
  },
  {
    name: "fromHeaders replaces the default locations",
    host: ORDERS,
    target: "/custom",
    headers: [bearer("other")],
    expect: { status: 401, reason: "missing_token" },
  },
  {
    name: "fromHeaders twice",
    host: ORDERS,
    target: "/custom",
    headers: [["x-jwt", "JWT {{other}}"], ["x-jwt", "JWT {{other}}"]],
    expect: { status: 401, reason: "ambiguous_token" },
  },
  {
    name: "fromHeaders without its prefix",
    host: ORDERS,
    target: "/custom",
    headers: [["x-jwt", "{{other}}"]],
    expect: { status: 401, reason: "malformed_token" },
  },
  // v2 extAuth.
  {
    name: "extAuth served here, restrictions met",
    host: ORDERS,
    target: "/ext",
    headers: [bearer("read")],
    expect: { status: 200, reason: "ext_auth_allowed" },
  },
  {
    name: "extAuth served here, restrictions not met",
    host: ORDERS,
    target: "/ext",
    headers: [bearer("write")],
    expect: { status: 403, reason: "insufficient_scope" },
  },
  {
    name: "extAuth naming another authorizer",
    host: ORDERS,
    target: "/ext-elsewhere",
    expect: { status: 403, reason: "ext_auth_not_served" },
  },
  // v1beta1 rules expressible in v2 (both front ends decide them with the access strategy engine).
  {
    name: "v1beta1 no_auth",
    host: LEGACY,
    target: "/no-auth",
    expect: { status: 200, reason: "allow_strategy" },
  },
  {
    name: "v1beta1 Istio-dialect jwt",
    host: LEGACY,
    target: "/istio-jwt",
    headers: [bearer("read")],
    expect: { status: 200, reason: "jwt_valid" },
  },
  {
    name: "v1beta1 Istio-dialect jwt without a token",
    host: LEGACY,
    target: "/istio-jwt",
    // The access strategy engine decides v1beta1 rules: a jwt handler without a token is not
    // responsible, and no other handler is.
    expect: { status: 401, reason: "no_strategy_responsible" },
  },
  {
    name: "v1beta1 Istio-dialect jwt lacking the scope",
    host: LEGACY,
    target: "/istio-jwt",
    headers: [bearer("write")],
    expect: { status: 403, reason: "insufficient_scope" },
  },
  {
    name: "v1beta1 Istio-dialect jwt + %61ccess_token",
    host: LEGACY,
    target: "/istio-jwt?%61ccess_token={{write}}",
    headers: [bearer("read")],
    expect: { status: 401, reason: "ambiguous_token" },
  },
  // v1beta1 Oathkeeper handlers: apigw authz only.
  ...([
    ["v1beta1 allow", "/allow", [], { status: 200, reason: "allow_strategy" }],
    ["v1beta1 unauthorized", "/unauthorized", [], { status: 401, reason: "unauthorized_strategy" }],
    ["v1beta1 Ory jwt", "/ory-jwt", [bearer("read")], { status: 200, reason: "jwt_valid" }],
    ["v1beta1 Ory jwt without a token", "/ory-jwt", [], {
      status: 401,
      reason: "no_strategy_responsible",
    }],
    ["v1beta1 Ory jwt lacking the scope", "/ory-jwt", [bearer("write")], {
      status: 403,
      reason: "insufficient_scope",
    }],
    ["v1beta1 Ory jwt + access%5Ftoken", "/ory-jwt?access%5Ftoken={{write}}", [bearer("read")], {
      status: 401,
      reason: "ambiguous_token",
    }],
    ["v1beta1 Ory jwt with two Authorization headers", "/ory-jwt", [
      bearer("read"),
      bearer("write"),
    ], { status: 401, reason: "ambiguous_token" }],
  ] as const).map(([name, target, headers, authz]): Case => ({
    name,
    host: OATHKEEPER,
    target,
    headers,
    expect: { status: 404, reason: "no_rule_matched" },
    modes: { authz, why: OATHKEEPER_WHY },
  })),
  // Rate limits: two tokens in each small bucket.
  ...[1, 2, 3].map((i): Case => ({
    name: `local bucket, request ${i}`,
    host: ORDERS,
    target: "/local-limited",
    expect: i <= 2 ? { status: 200, reason: "no_auth" } : { status: 429, reason: "rate_limited" },
    ...(i === 3
      ? { modes: { authz: { status: 200, reason: "no_auth" }, why: LOCAL_LIMIT_WHY } }
      : {}),
  })),
  ...[1, 2, 3].map((i): Case => ({
    name: `global bucket, key a, request ${i}`,
    host: ORDERS,
    target: "/global-limited",
    headers: [["x-api-key", "{{keyA}}"]],
    expect: i <= 2 ? { status: 200, reason: "no_auth" } : { status: 429, reason: "rate_limited" },
  })),
  {
    name: "global bucket, key b has its own tokens",
    host: ORDERS,
    target: "/global-limited",
    headers: [["x-api-key", "{{keyB}}"]],
    expect: { status: 200, reason: "no_auth" },
  },
];
