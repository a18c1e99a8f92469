import assert from "node:assert/strict";
import { canonicalV1beta1Spec } from "./canonical_json.ts";
import type { V1beta1Spec } from "./_types.ts";

Deno.test("canonicalV1beta1Spec() writes upstream's compact JSON (§13)", async (t) => {
  const cases: { name: string; spec: V1beta1Spec; json: string }[] = [
    {
      name: "the §13 example",
      spec: {
        rules: [{ accessStrategies: [{ handler: "no_auth" }], methods: ["GET"], path: "/headers" }],
        gateway: "kyma-system/kyma-gateway",
        service: { port: 8000, name: "httpbin" },
        host: "httpbin.example.com",
      },
      json:
        '{"host":"httpbin.example.com","service":{"name":"httpbin","port":8000},"gateway":"kyma-system/kyma-gateway","rules":[{"path":"/headers","methods":["GET"],"accessStrategies":[{"handler":"no_auth"}]}]}',
    },
    {
      name: "an empty spec writes null for host, gateway and rules",
      spec: {},
      json: '{"host":null,"gateway":null,"rules":null}',
    },
    {
      name: "service: name and port null when absent, external false is written",
      spec: { service: { namespace: "shop", external: false } },
      json:
        '{"host":null,"service":{"name":null,"namespace":"shop","port":null,"external":false},"gateway":null,"rules":null}',
    },
    {
      name: "rule: empty path and handler, null methods and strategies, timeout last",
      spec: { rules: [{ timeout: 30, accessStrategies: [{}] }, {}] },
      json:
        '{"host":null,"gateway":null,"rules":[{"path":"","methods":null,"accessStrategies":[{"handler":""}],"timeout":30},{"path":"","methods":null,"accessStrategies":null}]}',
    },
    {
      name: "CORS policy keys in upstream order, origins with sorted keys",
      spec: {
        corsPolicy: {
          maxAge: "5m0s",
          exposeHeaders: ["X-E"],
          allowCredentials: false,
          allowOrigins: [{ regex: ".*", exact: "https://a" }],
          allowMethods: ["GET"],
          allowHeaders: ["X-H"],
        },
        timeout: 300,
      },
      json:
        '{"host":null,"gateway":null,"corsPolicy":{"allowHeaders":["X-H"],"allowMethods":["GET"],"allowOrigins":[{"exact":"https://a","regex":".*"}],"allowCredentials":false,"exposeHeaders":["X-E"],"maxAge":"5m0s"},"rules":null,"timeout":300}',
    },
    {
      name: "handler config: compact, keys as received",
      spec: {
        rules: [{
          path: "/a",
          methods: ["GET"],
          accessStrategies: [{ handler: "jwt", config: { z: [1, true, null], a: { b: "c" } } }],
          mutators: [{ handler: "header", config: { headers: { "X-A": "1" } } }],
        }],
      },
      json:
        '{"host":null,"gateway":null,"rules":[{"path":"/a","methods":["GET"],"accessStrategies":[{"handler":"jwt","config":{"z":[1,true,null],"a":{"b":"c"}}}],"mutators":[{"handler":"header","config":{"headers":{"X-A":"1"}}}]}]}',
    },
    {
      name: "strings use Go's HTML-safe escapes",
      spec: { host: '<a>&b\u2028\u2029"\n' },
      json: '{"host":"\\u003ca\\u003e\\u0026b\\u2028\\u2029\\"\\n","gateway":null,"rules":null}',
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => assert.equal(canonicalV1beta1Spec(tc.spec), tc.json));
  }
});

Deno.test("canonicalV1beta1Spec() keeps empty lists, which upstream's omitempty drops (decision 7)", () => {
  const spec: V1beta1Spec = {
    corsPolicy: { allowHeaders: [] },
    rules: [{
      path: "/a",
      methods: ["GET"],
      accessStrategies: [{ handler: "no_auth" }],
      mutators: [],
    }],
  };
  const json = canonicalV1beta1Spec(spec);
  assert.match(json, /"corsPolicy":\{"allowHeaders":\[\]\}/);
  assert.match(json, /"mutators":\[\]/);
  assert.deepEqual(JSON.parse(json).rules[0].mutators, []);
});

Deno.test("canonicalV1beta1Spec() keeps maxAge as written, where upstream re-prints it (decision 7)", () => {
  const json = canonicalV1beta1Spec({ corsPolicy: { maxAge: "90s" } });
  assert.equal(JSON.parse(json).corsPolicy.maxAge, "90s"); // upstream writes "1m30s"
});
