/**
 * Property tests over random valid APIRules generated from the schema constraints: the round
 * trips of docs/spec/conversion.md §11 (with README decision 7) give back the original spec, and
 * `convertAPIRule()` never throws, whatever it is given.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { HTTP_METHODS } from "../apirule/v2.ts";
import { formatGoDuration } from "../duration.ts";
import { convertAPIRule } from "./mod.ts";

const V1BETA1 = "gateway.kyma-project.io/v1beta1";
const V2ALPHA1 = "gateway.kyma-project.io/v2alpha1";
const V2 = "gateway.kyma-project.io/v2";
const ORIGINAL = "gateway.kyma-project.io/original-version";
const SAVED = "gateway.kyma-project.io/v1beta1-spec";

const RUNS = 2000;

// --- shared pieces -------------------------------------------------------------------------

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
const text = fc.string({ maxLength: 12 });
const texts = fc.array(text, { maxLength: 3 });
const url = label.map((l) => `https://${l}.example.com`);
const methods = fc.uniqueArray(fc.constantFrom(...HTTP_METHODS), { minLength: 1, maxLength: 4 });
const timeout = fc.integer({ min: 1, max: 3900 });
const stringMap = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), text, {
  maxKeys: 3,
  noNullPrototype: true,
});
const service = fc.record({
  name: label,
  namespace: label,
  port: fc.integer({ min: 1, max: 65535 }),
  external: fc.boolean(),
}, { requiredKeys: ["name", "port"], noNullPrototype: true });
const origins = fc.array(
  fc.oneof(
    text.map((exact) => ({ exact })),
    text.map((prefix) => ({ prefix })),
    text.map((regex) => ({ regex })),
  ),
  { maxLength: 3 },
);
const metadata = (annotations: fc.Arbitrary<Record<string, string>>) =>
  fc.record({
    name: label,
    namespace: label,
    labels: fc.dictionary(label, label, { maxKeys: 2, noNullPrototype: true }),
    annotations,
  }, { requiredKeys: ["name", "namespace", "annotations"], noNullPrototype: true });

// --- v1beta1 ----------------------------------------------------------------------------------

const v2Segment = fc.oneof(
  fc.stringMatching(/^\/([A-Za-z0-9\-._~!$&'()+,;=:@]|%[0-9a-fA-F]{2}){0,8}$/),
  fc.constantFrom("/{*}", "/{**}"),
);
const v2Path = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.array(v2Segment, { minLength: 1, maxLength: 4 }).map((s) => s.join("")),
  },
  { weight: 1, arbitrary: fc.constant("/*") },
);
const v1beta1Path = fc.oneof(
  { weight: 4, arbitrary: v2Path },
  { weight: 1, arbitrary: fc.constantFrom("/.*", "/api/.*", "/items/[0-9]+", "/api/*") },
);
const v1beta1Host = fc.array(fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,6}[a-zA-Z0-9]$/), {
  minLength: 1,
  maxLength: 4,
}).map((labels) => labels.join("."));
const v1beta1Gateway = fc.oneof(
  fc.tuple(label, label).map(([ns, name]) => `${ns}/${name}`),
  label,
  fc.tuple(label, label).map(([name, ns]) => `${name}.${ns}`),
  fc.tuple(label, label).map(([name, ns]) => `${name}.${ns}.svc`),
  fc.tuple(label, label).map(([name, ns]) => `${name}.${ns}.svc.cluster.local`),
  fc.tuple(label, label).map(([name, ns]) => `${name}.${ns}.example`),
  label.map((name) => `${name}_gw`),
);
const duration = fc.oneof(
  fc.constantFrom("90s", "1m30.5s", "500ms", "0s", "5m0s", "1h", "10s", "2h45m"),
  fc.bigInt({ min: 0n, max: 10n ** 14n }).map(formatGoDuration),
);
const v1beta1Cors = fc.record({
  allowOrigins: origins,
  allowMethods: texts,
  allowHeaders: texts,
  exposeHeaders: texts,
  allowCredentials: fc.boolean(),
  maxAge: duration,
}, { requiredKeys: [], noNullPrototype: true });
const istioJwtConfig = fc.record({
  authentications: fc.array(
    fc.record({
      issuer: url,
      jwksUri: url,
      fromHeaders: fc.array(
        fc.record({ name: label, prefix: text }, { requiredKeys: ["name"], noNullPrototype: true }),
        {
          maxLength: 2,
        },
      ),
      fromParams: texts,
    }, { requiredKeys: ["issuer", "jwksUri"], noNullPrototype: true }),
    { maxLength: 2 },
  ),
  authorizations: fc.array(
    fc.record({ requiredScopes: texts, audiences: texts }, {
      requiredKeys: [],
      noNullPrototype: true,
    }),
    { maxLength: 2 },
  ),
}, { requiredKeys: [], noNullPrototype: true });
const oryJwtConfig = fc.record({
  trusted_issuers: fc.array(url, { minLength: 0, maxLength: 2 }),
  jwks_urls: fc.array(url, { minLength: 0, maxLength: 2 }),
  required_scope: texts,
  target_audience: texts,
  allowed_algorithms: fc.constant(["RS256"]),
}, { requiredKeys: [], noNullPrototype: true });
const accessStrategy = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ handler: "no_auth" }) },
  { weight: 3, arbitrary: istioJwtConfig.map((config) => ({ handler: "jwt", config })) },
  { weight: 3, arbitrary: oryJwtConfig.map((config) => ({ handler: "jwt", config })) },
  { weight: 1, arbitrary: fc.constant({ handler: "jwt" }) },
  { weight: 1, arbitrary: fc.constantFrom({ handler: "allow" }, { handler: "noop" }) },
  {
    weight: 1,
    arbitrary: texts.map((scopes) => ({
      handler: "oauth2_introspection",
      config: { required_scope: scopes },
    })),
  },
);
/** Only strategies with a v2 form, so that whole rule lists convert (§5). */
const convertibleStrategy = fc.oneof(
  fc.constant({ handler: "no_auth" }),
  fc.tuple(url, url, istioJwtConfig).map(([issuer, jwksUri, config]) => ({
    handler: "jwt",
    config: { ...config, authentications: [{ issuer, jwksUri }] },
  })),
  fc.tuple(url, url, oryJwtConfig).map(([issuer, jwks, config]) => ({
    handler: "jwt",
    config: { ...config, trusted_issuers: [issuer], jwks_urls: [jwks] },
  })),
);
const mutator = fc.oneof(
  stringMap.map((headers) => ({ handler: "header", config: { headers } })),
  stringMap.map((cookies) => ({ handler: "cookie", config: { cookies } })),
  fc.constantFrom({ handler: "header" }, { handler: "id_token", config: { claims: "{}" } }),
);
const v1beta1Rule = (convertible: boolean) =>
  fc.record({
    path: convertible ? v2Path : v1beta1Path,
    service,
    methods,
    accessStrategies: fc.array(convertible ? convertibleStrategy : accessStrategy, {
      minLength: 1,
      maxLength: 2,
    }),
    mutators: fc.array(mutator, { maxLength: 3 }),
    timeout,
  }, { requiredKeys: ["path", "methods", "accessStrategies"], noNullPrototype: true });
const v1beta1Spec = (convertible: boolean) =>
  fc.record({
    host: v1beta1Host,
    service,
    gateway: v1beta1Gateway,
    corsPolicy: v1beta1Cors,
    rules: fc.array(v1beta1Rule(convertible), { minLength: 1, maxLength: 4 }),
    timeout,
  }, { requiredKeys: ["host", "gateway", "rules"], noNullPrototype: true });
/** Half of them with rule lists that convert to v2, half with anything v1beta1 allows. */
const v1beta1Object = fc.record({
  apiVersion: fc.constant(V1BETA1),
  kind: fc.constant("APIRule"),
  metadata: metadata(fc.constantFrom<Record<string, string>>({}, { [ORIGINAL]: "v1beta1" })),
  spec: fc.oneof(v1beta1Spec(true), v1beta1Spec(false)),
}, { noNullPrototype: true });

// --- v2 -----------------------------------------------------------------------------------------

const v2Host = fc.oneof(
  label,
  fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.stringMatching(/^[a-z0-9]{2,6}$/))
    .map(([labels, tld]) => [...labels, tld].join(".")),
  fc.tuple(label, fc.stringMatching(/^[a-z]{2,6}$/)).map(([l, tld]) => `*.${l}.${tld}`),
);
const gatewayRef = fc.tuple(label, label).map(([ns, name]) => `${ns}/${name}`);
const jwt = fc.record({
  authentications: fc.array(
    fc.record({
      issuer: url,
      jwksUri: url,
      fromHeaders: fc.array(
        fc.record({ name: label, prefix: text }, { requiredKeys: ["name"], noNullPrototype: true }),
        {
          maxLength: 2,
        },
      ),
      fromParams: texts,
    }, { requiredKeys: ["issuer", "jwksUri"], noNullPrototype: true }),
    { minLength: 1, maxLength: 2 },
  ),
  authorizations: fc.array(
    fc.record({ requiredScopes: texts, audiences: texts }, {
      requiredKeys: [],
      noNullPrototype: true,
    }),
    { maxLength: 2 },
  ),
}, { requiredKeys: ["authentications"], noNullPrototype: true });
const access = fc.oneof(
  fc.constant({ noAuth: true }),
  jwt.map((j) => ({ jwt: j })),
  fc.record({
    authorizers: fc.array(label, { minLength: 1, maxLength: 2 }),
    restrictions: jwt,
  }, { requiredKeys: ["authorizers"], noNullPrototype: true }).map((extAuth) => ({ extAuth })),
);
const v2Rule = fc.tuple(
  fc.record({
    path: v2Path,
    service,
    methods,
    timeout,
    request: fc.record({ headers: stringMap, cookies: stringMap }, {
      requiredKeys: [],
      noNullPrototype: true,
    }),
  }, { requiredKeys: ["path", "methods"], noNullPrototype: true }),
  access,
).map(([rule, auth]) => ({ ...rule, ...auth }));
const v2Spec = (withExternalGateway: boolean) =>
  fc.record({
    hosts: fc.tuple(v2Host),
    service,
    gateway: gatewayRef,
    ...(withExternalGateway ? { externalGateway: gatewayRef } : {}),
    corsPolicy: fc.record({
      allowHeaders: texts,
      allowMethods: texts,
      allowOrigins: origins,
      allowCredentials: fc.boolean(),
      exposeHeaders: texts,
      maxAge: fc.integer({ min: 1, max: 10_000_000 }),
    }, { requiredKeys: [], noNullPrototype: true }),
    rules: fc.array(v2Rule, { minLength: 1, maxLength: 4 }),
    timeout,
  }, { requiredKeys: ["hosts", "rules"], noNullPrototype: true });
const v2Annotations = fc.constantFrom<Record<string, string>>(
  {},
  { [ORIGINAL]: "v2" },
  { [ORIGINAL]: "v2alpha1" },
);
const v2Object = (apiVersion: string, withExternalGateway = true) =>
  fc.record({
    apiVersion: fc.constant(apiVersion),
    kind: fc.constant("APIRule"),
    metadata: metadata(v2Annotations),
    spec: v2Spec(withExternalGateway),
  }, { noNullPrototype: true });

// --- properties ---------------------------------------------------------------------------------

function specAfter(object: unknown, versions: readonly string[]): unknown {
  let current = object;
  let spec: unknown;
  for (const version of versions) {
    const converted = convertAPIRule(current, version);
    if (!converted.ok) throw new Error(converted.error.message);
    current = converted.value;
    spec = converted.value.spec;
  }
  return spec;
}

Deno.test("convertAPIRule() gives back a v1beta1 spec after v1beta1 → v2 → v1beta1", () => {
  fc.assert(
    fc.property(v1beta1Object, (object) => {
      assert.deepStrictEqual(specAfter(object, [V2, V1BETA1]), object.spec);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("convertAPIRule() gives back a v1beta1 spec after v1beta1 → v2alpha1 → v1beta1", () => {
  fc.assert(
    fc.property(v1beta1Object, (object) => {
      assert.deepStrictEqual(specAfter(object, [V2ALPHA1, V1BETA1]), object.spec);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("convertAPIRule() gives back a v1beta1 spec after v1beta1 → v2 → v2alpha1 → v2 → v1beta1", () => {
  fc.assert(
    fc.property(v1beta1Object, (object) => {
      assert.deepStrictEqual(specAfter(object, [V2, V2ALPHA1, V2, V1BETA1]), object.spec);
    }),
    { numRuns: RUNS / 4 },
  );
});

Deno.test("convertAPIRule() is the identity on the spec for v2 → v2alpha1 → v2", () => {
  fc.assert(
    fc.property(v2Object(V2), (object) => {
      assert.deepStrictEqual(specAfter(object, [V2ALPHA1, V2]), object.spec);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("convertAPIRule() is the identity on the spec for v2alpha1 → v2 → v2alpha1", () => {
  fc.assert(
    fc.property(v2Object(V2ALPHA1), (object) => {
      assert.deepStrictEqual(specAfter(object, [V2, V2ALPHA1]), object.spec);
    }),
    { numRuns: RUNS / 2 },
  );
});

Deno.test("convertAPIRule() gives back a v2 spec without externalGateway after v2 → v1beta1 → v2", () => {
  fc.assert(
    fc.property(v2Object(V2, false), (object) => {
      assert.deepStrictEqual(specAfter(object, [V1BETA1, V2]), object.spec);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("convertAPIRule() keeps name, namespace and labels and sets the target apiVersion", () => {
  const anyVersion = fc.constantFrom(V1BETA1, V2ALPHA1, V2);
  const object = fc.oneof(v1beta1Object, v2Object(V2), v2Object(V2ALPHA1));
  fc.assert(
    fc.property(object, anyVersion, (source, to) => {
      fc.pre(source.apiVersion !== to);
      const converted = convertAPIRule(source, to);
      assert.ok(converted.ok);
      assert.equal(converted.value.apiVersion, to);
      assert.equal(converted.value.metadata.name, source.metadata.name);
      assert.equal(converted.value.metadata.namespace, source.metadata.namespace);
      assert.deepStrictEqual(converted.value.metadata.labels, source.metadata.labels);
    }),
    { numRuns: RUNS / 2 },
  );
});

const version = fc.oneof(fc.constantFrom(V1BETA1, V2ALPHA1, V2), fc.anything());
const annotation = fc.oneof(fc.json(), fc.string(), fc.constantFrom("v1beta1", "v2", "v2alpha1"));

Deno.test("convertAPIRule() never throws, whatever it is given", () => {
  const garbled = fc.record({
    apiVersion: version,
    kind: fc.constantFrom("APIRule", "Other"),
    metadata: fc.oneof(
      fc.anything(),
      fc.record({
        name: fc.anything(),
        namespace: fc.anything(),
        annotations: fc.oneof(
          fc.anything(),
          fc.dictionary(
            fc.constantFrom(ORIGINAL, SAVED, "gateway.kyma-project.io/v2alpha1-rules"),
            annotation,
          ),
        ),
      }, { requiredKeys: [], noNullPrototype: true }),
    ),
    spec: fc.oneof(fc.anything(), v1beta1Spec(false), v2Spec(true)),
    status: fc.anything(),
  }, { requiredKeys: [], noNullPrototype: true });
  fc.assert(
    fc.property(fc.oneof(fc.anything(), garbled), fc.anything(), version, (object, junk, to) => {
      for (const target of [to, junk]) {
        const converted = convertAPIRule(object, typeof target === "string" ? target : "v9");
        if (!converted.ok) assert.ok(converted.error.message.startsWith("Cannot convert "));
      }
    }),
    { numRuns: RUNS },
  );
});

Deno.test("convertAPIRule() never throws on valid APIRules with corrupted fields", () => {
  const object = fc.oneof(v1beta1Object, v2Object(V2), v2Object(V2ALPHA1));
  const target = fc.constantFrom(V1BETA1, V2ALPHA1, V2);
  fc.assert(
    fc.property(object, fc.anything(), fc.nat(), target, (source, junk, seed, to) => {
      const corrupted = structuredClone(source);
      corruptOne(corrupted, junk, seed);
      const converted = convertAPIRule(corrupted, to);
      if (!converted.ok) assert.ok(converted.error.message.length > 0);
    }),
    { numRuns: RUNS },
  );
});

/** Replaces one node of `root`, chosen by `seed`, with `junk`. */
function corruptOne(root: Record<string, unknown>, junk: unknown, seed: number): void {
  const slots: [Record<string, unknown> | unknown[], string | number][] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) {
      node.forEach((child, index) => {
        slots.push([node, index]);
        visit(child);
      });
    } else if (typeof node === "object" && node !== null) {
      for (const [key, child] of Object.entries(node)) {
        slots.push([Object(node), key]);
        visit(child);
      }
    }
  };
  visit(root);
  const slot = slots[seed % Math.max(slots.length, 1)];
  if (slot === undefined) return;
  const [parent, key] = slot;
  if (Array.isArray(parent) && typeof key === "number") parent[key] = junk;
  else if (!Array.isArray(parent) && typeof key === "string") parent[key] = junk;
}
