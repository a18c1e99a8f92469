import assert from "node:assert/strict";
import { stringify } from "yaml";
import { apiRule, GATEWAY, ISSUER, JWKS_URI } from "../core/authz/_testing.ts";
import { runCli } from "./mod.ts";
import { parseRequestLine } from "./explain.ts";
import { apiRuleV1beta1, CLIENT, startIntrospection } from "../proxy/oathkeeper/_testing.ts";

async function explain(args: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "apigw-explain-" });
  const file = `${dir}/rules.yaml`;
  await Deno.writeTextFile(
    file,
    [
      GATEWAY,
      apiRule("orders", [
        { path: "/public/{**}", noAuth: true },
        {
          path: "/admin",
          methods: ["GET"],
          jwt: { authentications: [{ issuer: ISSUER, jwksUri: JWKS_URI }] },
        },
      ]),
    ].map((o) => stringify(o)).join("---\n"),
  );
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await runCli(["explain", "-f", file, ...args], {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      env: () => undefined,
      signal: new AbortController().signal,
    });
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("apigw explain prints the matched rule and the deciding step", async (t) => {
  const cases = [
    {
      name: "allowed by noAuth",
      args: ["--request", "GET https://orders.local.kyma.dev/public/a"],
      code: 0,
      lines: [
        /Matched: {3}default\/orders#0: noAuth GET \/public\/\{\*\*\}/,
        /Decision: {2}allow \(200\) at step authorize: no_auth/,
      ],
    },
    {
      name: "denied without a token",
      args: ["--request", "GET https://orders.local.kyma.dev/public/%2e%2e/admin"],
      code: 1,
      lines: [
        /Request: {3}GET orders.local.kyma.dev \/admin/,
        /deny \(401\) at step authenticate: missing_token/,
        /WWW-Authenticate: Bearer realm="apigw"/,
      ],
    },
    {
      name: "no rule for the host",
      args: ["--request", "GET https://other.example.com/"],
      code: 1,
      lines: [/Rules: {5}\(none for this host\)/, /deny \(404\) at step match: no_rule_matched/],
    },
    {
      name: "refused at normalize",
      args: ["--request", "GET https://orders.local.kyma.dev/a%2Fb"],
      code: 1,
      lines: [/deny \(400\) at step normalize: escaped_slash/],
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, async () => {
      const got = await explain(tc.args);
      assert.equal(got.code, tc.code, got.stdout + got.stderr);
      for (const line of tc.lines) assert.match(got.stdout, line);
    });
  }
});

Deno.test("apigw explain -o json reports the decision as data", async () => {
  const got = await explain([
    "-o",
    "json",
    "--request",
    "GET https://orders.local.kyma.dev/admin?access_token=secret",
  ]);
  const report = JSON.parse(got.stdout);
  assert.equal(report.rule.id, "default/orders#1");
  assert.equal(report.decision.reason, "malformed_token");
  assert.equal(report.request.query, "(present)");
  assert.ok(!got.stdout.includes("secret"));
});

Deno.test("apigw explain reports usage errors", async () => {
  const got = await explain(["--request", "GET /relative", "-H", "nocolon"]);
  assert.equal(got.code, 2);
  assert.match(got.stderr, /is not 'METHOD http\(s\):\/\/host\/path'/);
  assert.match(got.stderr, /--header "nocolon" is not 'Name: value'/);
});

Deno.test("parseRequestLine() keeps the target as written", () => {
  assert.deepEqual(parseRequestLine("GET https://h.example.com/a/../b?x=%2e"), {
    ok: true,
    value: { method: "GET", host: "h.example.com", target: "/a/../b?x=%2e" },
  });
  assert.deepEqual(parseRequestLine("GET https://h.example.com?x"), {
    ok: true,
    value: { method: "GET", host: "h.example.com", target: "/?x" },
  });
});

Deno.test("apigw explain shows v1beta1 access strategies, the deciding strategy and mutated headers", async () => {
  await using endpoint = startIntrospection();
  endpoint.issue("opaque", {
    sub: "alice",
    scope: "read",
    exp: Math.floor(Date.now() / 1000) + 600,
  });
  const dir = await Deno.makeTempDir({ prefix: "apigw-explain-v1beta1-" });
  try {
    await Deno.writeTextFile(
      `${dir}/defaults.yaml`,
      stringify({
        authenticators: {
          oauth2_introspection: {
            config: {
              introspection_url: endpoint.url,
              client_auth: { client_id: CLIENT.id, client_secret: CLIENT.secret },
            },
          },
        },
      }),
    );
    await Deno.writeTextFile(
      `${dir}/rules.yaml`,
      stringify(apiRuleV1beta1("orders", [{
        path: "/orders/.*",
        accessStrategies: [
          { handler: "oauth2_introspection", config: { required_scope: ["read"] } },
          { handler: "anonymous" },
        ],
        mutators: [{
          handler: "header",
          config: { headers: { "X-User": "{{ print .Subject }}" } },
        }],
      }])),
    );
    const run = async (headers: string[]) => {
      const out: string[] = [];
      const code = await runCli([
        "explain",
        "-f",
        `${dir}/rules.yaml`,
        "--handler-defaults",
        `${dir}/defaults.yaml`,
        "--request",
        "GET https://orders.local.kyma.dev/orders/1",
        ...headers,
      ], {
        stdout: (t) => out.push(t),
        stderr: (t) => out.push(t),
        env: () => undefined,
        signal: new AbortController().signal,
      });
      return { code, text: out.join("") };
    };
    const allowed = await run(["-H", "Authorization: Bearer opaque"]);
    assert.equal(allowed.code, 0, allowed.text);
    assert.match(
      allowed.text,
      /Matched: {3}default\/orders#0: accessStrategies GET \/orders\/\.\*/,
    );
    assert.match(
      allowed.text,
      /Strategies: 1\. oauth2_introspection \(Authorization: Bearer; http:\/\/127\.0\.0\.1:\d+\/introspect; scopes read \(exact\); cache 30000 ms\)/,
    );
    assert.match(allowed.text, /2\. anonymous \(subject anonymous\)/);
    assert.match(allowed.text, /Mutators: {2}header/);
    assert.match(allowed.text, /Decided: {3}by oauth2_introspection \(subject "alice"\)/);
    assert.match(allowed.text, /allow \(200\) at step authenticate: token_active/);
    assert.match(allowed.text, /sets x-user \(5 bytes\)/);
    const anonymous = await run([]);
    assert.match(anonymous.text, /Decided: {3}by anonymous/);
    const denied = await run(["-H", "Authorization: Bearer revoked"]);
    assert.equal(denied.code, 1);
    assert.match(denied.text, /deny \(401\) at step authenticate: token_inactive/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
