import assert from "node:assert/strict";
import fc from "fast-check";
import { uriMatch } from "../apirule/paths.ts";
import { compilePolicyIndex } from "./policy_index.ts";
import { pathMatcher } from "./rule.ts";
import { v1beta1PathMatcher } from "./oathkeeper/compile.ts";
import { apiRule, GATEWAY, jwtConfig } from "./_testing.ts";

const PROVIDER = { providerName: "apigw" };

function ruleFor(objects: unknown[], request: { host: string; method: string; path: string }) {
  return compilePolicyIndex([GATEWAY, ...objects], PROVIDER).index.match(request)?.id;
}

Deno.test("compilePolicyIndex() picks the rule routing would pick", async (t) => {
  const orders = apiRule("orders", [
    { path: "/anything/{*}/one", methods: ["POST"], jwt: jwtConfig() },
    { path: "/anything/{**}", methods: ["GET", "POST"], noAuth: true },
    { path: "/file.txt", methods: ["GET"], noAuth: true },
    { path: "/*", methods: ["HEAD"], noAuth: true },
  ]);
  const cases = [
    {
      name: "an earlier specific rule wins",
      method: "POST",
      path: "/anything/x/one",
      want: "default/orders#0",
    },
    {
      name: "a later rule takes other methods",
      method: "GET",
      path: "/anything/x/one",
      want: "default/orders#1",
    },
    {
      name: "{**} matches the empty rest",
      method: "GET",
      path: "/anything/",
      want: "default/orders#1",
    },
    { name: "{**} needs its slash (§9.3)", method: "GET", path: "/anything", want: undefined },
    {
      name: "literal dots are literal (D2 fixed)",
      method: "GET",
      path: "/fileXtxt",
      want: undefined,
    },
    {
      name: "a literal path matches itself",
      method: "GET",
      path: "/file.txt",
      want: "default/orders#2",
    },
    { name: "§8-24 HEAD is not GET", method: "HEAD", path: "/file.txt", want: "default/orders#3" },
    {
      name: "§8-24 unknown methods match nothing",
      method: "PURGE",
      path: "/file.txt",
      want: undefined,
    },
    {
      name: "§8-21 trailing slash is significant",
      method: "GET",
      path: "/file.txt/",
      want: undefined,
    },
    { name: "§8-20 paths are case-sensitive", method: "GET", path: "/File.txt", want: undefined },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const got = ruleFor([orders], {
        host: "orders.local.kyma.dev",
        method: tc.method,
        path: tc.path,
      });
      assert.equal(got, tc.want);
    });
  }
});

Deno.test("compilePolicyIndex() resolves hosts: exact before the longest wildcard", async (t) => {
  const objects = [
    apiRule("exact", [{ noAuth: true }], { host: "a.example.com" }),
    apiRule("wide", [{ noAuth: true }], { host: "*.example.com" }),
    apiRule("narrow", [{ noAuth: true }], { host: "*.b.example.com" }),
    apiRule("short", [{ noAuth: true }], { host: "short" }),
  ];
  const cases = [
    { host: "a.example.com", want: "default/exact#0" },
    { host: "c.example.com", want: "default/wide#0" },
    { host: "x.b.example.com", want: "default/narrow#0" },
    { host: "example.com", want: undefined },
    { host: "short.local.kyma.dev", want: "default/short#0" },
  ];
  for (const tc of cases) {
    await t.step(
      tc.host,
      () => assert.equal(ruleFor(objects, { ...tc, method: "GET", path: "/" }), tc.want),
    );
  }
});

Deno.test("compilePolicyIndex() reports invalid objects and keeps the valid ones", () => {
  const { index, problems } = compilePolicyIndex([
    GATEWAY,
    apiRule("good", [{ noAuth: true }]),
    apiRule("bad", [{ path: "/{**}/x/{**}", noAuth: true }]),
    apiRule("twice", [{ noAuth: true, jwt: jwtConfig() }]),
    { apiVersion: "gateway.kyma-project.io/v1beta1", kind: "APIRule", metadata: { name: "old" } },
  ], PROVIDER);
  assert.equal(index.ruleCount, 1);
  assert.deepEqual(problems.map((p) => p.object).sort(), [
    "APIRule default/bad",
    "APIRule default/old",
    "APIRule default/twice",
  ]);
});

Deno.test("compilePolicyIndex() gives a contested host to the older APIRule", () => {
  const { index, problems } = compilePolicyIndex([
    GATEWAY,
    apiRule("young", [{ noAuth: true }], {
      host: "h.example.com",
      created: "2026-02-01T00:00:00Z",
    }),
    apiRule("old", [{ noAuth: true }], { host: "h.example.com", created: "2026-01-01T00:00:00Z" }),
  ], PROVIDER);
  assert.equal(
    index.match({ host: "h.example.com", method: "GET", path: "/" })?.id,
    "default/old#0",
  );
  assert.match(problems[0]?.message ?? "", /already served by APIRule default\/old/);
});

Deno.test("compilePolicyIndex() marks extAuth rules that name this provider", () => {
  const { index } = compilePolicyIndex([
    GATEWAY,
    apiRule("ext", [
      { path: "/mine", extAuth: { authorizers: ["other", "apigw"] } },
      { path: "/theirs", extAuth: { authorizers: ["other"] } },
    ]),
  ], PROVIDER);
  const served = (path: string) => {
    const auth = index.match({ host: "ext.local.kyma.dev", method: "GET", path })?.auth;
    return auth?.kind === "extAuth" ? auth.served : undefined;
  };
  assert.equal(served("/mine"), true);
  assert.equal(served("/theirs"), false);
});

const SEGMENT = fc.constantFrom("a", "b", "x.y", "%2F", "~", "{*}", "{**}", "");
const TEMPLATE = fc.array(SEGMENT, { minLength: 1, maxLength: 4 }).map((segments) => {
  const first = segments.indexOf("{**}");
  const kept = first === -1 ? segments : [...segments.slice(0, first + 1)];
  return "/" + kept.join("/");
});
const PATH = fc.array(fc.constantFrom("a", "b", "x.y", "xzy", "%2F", "~", "", "c/d"), {
  maxLength: 5,
}).map((s) => "/" + s.join("/"));

Deno.test("pathMatcher() agrees with the VirtualService uriMatch regex", () => {
  fc.assert(
    fc.property(fc.oneof(TEMPLATE, fc.constant("/*")), PATH, (template, path) => {
      const match = uriMatch(template);
      const routed = "prefix" in match
        ? path.startsWith(match.prefix)
        : "regex" in match
        ? new RegExp(match.regex).test(path)
        : path === match.exact;
      assert.equal(pathMatcher(template)(path), routed, `${template} vs ${path}`);
    }),
    { numRuns: 2_000 },
  );
});

Deno.test("pathMatcher() stays linear on hostile paths (§8 #35)", () => {
  const match = pathMatcher("/{*}/{*}/a/{**}/end");
  const hostile = "/" + "x/".repeat(4_000) + "!";
  const started = performance.now();
  assert.equal(match(hostile), false);
  assert.ok(performance.now() - started < 200);
});

Deno.test("pathMatcher() and v1beta1PathMatcher() match nothing for a path too large to compile", () => {
  // Found by the fuzz campaign (seed 20261207, set 4713): V8 compiled the regex on first use,
  // so the first request threw "Invalid regular expression" instead of the rule loading.
  const huge = "a".repeat(1_048_576);
  assert.equal(v1beta1PathMatcher({ path: huge })("/a"), false);
  assert.equal(pathMatcher(`/{*}/${huge}`)("/x/a"), false);
});
