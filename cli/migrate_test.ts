import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import type { CommandIO } from "./command.ts";
import { migrateCommand } from "./migrate.ts";

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], files: Record<string, string> = {}): Promise<Outcome> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-migrate-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    let stdout = "";
    let stderr = "";
    const io: CommandIO = {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      env: () => undefined,
      signal: new AbortController().signal,
    };
    const code = await migrateCommand.run(args.map((a) => a.replace("$DIR", dir)), io);
    return { code, stdout, stderr };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface GuideCase {
  name: string;
  args: string[];
  input: string;
  expect?: string;
  policy?: string;
}

const GUIDES = parse(
  await Deno.readTextFile(new URL("../tests/fixtures/migrate/guides.yaml", import.meta.url)),
) as GuideCase[];

Deno.test("migrateCommand rewrites every example of upstream's migration guides", async (t) => {
  for (const guide of GUIDES) {
    await t.step(guide.name, async () => {
      const out = await run(["-f", "$DIR/in.yaml", ...guide.args], { "in.yaml": guide.input });
      assert.equal(out.code, 0, out.stderr);
      const printed = parseAllDocuments(out.stdout).map((d) => d.toJS());
      if (guide.expect !== undefined) assert.deepEqual(printed, [parse(guide.expect)]);
      if (guide.policy !== undefined) {
        const lines = out.stderr.split("\n");
        const start = lines.indexOf("    apiVersion: security.istio.io/v1");
        const end = lines.findIndex((l, i) => i > start && !l.startsWith("    "));
        const yaml = lines.slice(start, end).map((l) => l.slice(4)).join("\n");
        assert.deepEqual(parse(yaml), parse(guide.policy));
        assert.match(
          out.stderr,
          /1\. Apply the temporary AuthorizationPolicy default\/allow-migration/,
        );
        assert.match(
          out.stderr,
          /3\. When all are v2 and Ready: kubectl delete authorizationpolicy/,
        );
      }
    });
  }
});

const JWT_NO_ISSUER = `apiVersion: gateway.kyma-project.io/v1beta1
kind: APIRule
metadata: {name: orders, namespace: shop}
spec:
  host: orders.example.com
  gateway: kyma-system/kyma-gateway
  service: {name: orders, port: 8080}
  rules:
  - path: /orders/.*
    methods: [GET]
    accessStrategies:
    - handler: jwt
      config: {jwks_urls: ["https://idp.example.com/certs"], required_scope: [read]}
`;

const ALLOW = `apiVersion: gateway.kyma-project.io/v1beta1
kind: APIRule
metadata: {name: open, namespace: shop}
spec:
  host: open.example.com
  gateway: kyma-system/kyma-gateway
  service: {name: open, port: 8080}
  rules:
  - path: /.*
    methods: [GET]
    accessStrategies: [{handler: allow}]
`;

Deno.test("migrateCommand exits 1 naming the flag a jwt rule without issuer needs", async () => {
  const out = await run(["-f", "$DIR/a.yaml"], { "a.yaml": `${ALLOW}---\n${JWT_NO_ISSUER}` });
  assert.equal(out.code, 1);
  assert.match(out.stderr, /APIRule shop\/orders: not migrated/);
  assert.match(out.stderr, /pass --issuer https:\/\/idp.example.com\/certs=ISSUER/);
  assert.match(out.stderr, /1 migrated, 1 not migrated/);
  // What did migrate is printed all the same.
  assert.equal(parseAllDocuments(out.stdout).length, 1);
  assert.match(out.stdout, /name: open/);
});

Deno.test("migrateCommand exits 0 and lists the issuer difference as intended", async () => {
  const out = await run([
    "-f",
    "$DIR/a.yaml",
    "--issuer",
    "https://idp.example.com/certs=https://idp.example.com",
    "-o",
    "json",
  ], { "a.yaml": JWT_NO_ISSUER });
  assert.equal(out.code, 0, out.stderr);
  const v2 = JSON.parse(out.stdout);
  assert.equal(v2.spec.rules[0].path, "/orders/{**}");
  assert.deepEqual(v2.spec.rules[0].jwt.authorizations, [{ requiredScopes: ["read"] }]);
  assert.match(out.stderr, /intended closed: GET \/orders\/x \(token of a foreign issuer/);
  assert.match(out.stderr, /0 not intended/);
  assert.doesNotMatch(out.stderr, /NOT INTENDED/);
});

const DOTTED = ALLOW.replace("/.*", "/v1.0/items");

Deno.test("migrateCommand proves a literal-dot path only narrows", async () => {
  const out = await run(["-f", "$DIR/a.yaml"], { "a.yaml": DOTTED });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stderr, /intended closed: GET \/v1X0\/items \(no token\): v1beta1 allow/);
  assert.match(out.stdout, /path: \/v1.0\/items/);
});

const INTROSPECTION = ALLOW.replace(
  "accessStrategies: [{handler: allow}]",
  'accessStrategies: [{handler: oauth2_introspection, config: {introspection_url: "https://idp.example.com/introspect"}}]',
);

Deno.test("migrateCommand holds back an extAuth rewrite the proof cannot vouch for", async (t) => {
  await t.step("without --accept-differences: exit 1, differences printed", async () => {
    const out = await run(["-f", "$DIR/a.yaml"], { "a.yaml": INTROSPECTION });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /not migrated \(the proof found differences/);
    assert.match(
      out.stderr,
      /opened: GET \/ \(no token\): v1beta1 401 no_strategy_responsible, v2 allow/,
    );
    assert.match(out.stderr, /introspection_url: https:\/\/idp.example.com\/introspect/);
    assert.equal(out.stdout, "");
  });
  await t.step("with --accept-differences: exit 0", async () => {
    const out = await run(["-f", "$DIR/a.yaml", "--accept-differences"], {
      "a.yaml": INTROSPECTION,
    });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /authorizers:\n\s+- apigw-authz/);
  });
  await t.step("--handler-defaults lets the proof decide the v1beta1 side", async () => {
    const out = await run(["-f", "$DIR/a.yaml", "--handler-defaults", "$DIR/d.yaml"], {
      "a.yaml": INTROSPECTION.replace(
        '{introspection_url: "https://idp.example.com/introspect"}',
        "{required_scope: [read]}",
      ),
      "d.yaml": "authenticators:\n  oauth2_introspection:\n    config:\n" +
        "      introspection_url: https://idp.example.com/introspect\n",
    });
    assert.equal(out.code, 1);
    assert.doesNotMatch(out.stderr, /cannot decide with v1beta1/);
    assert.match(out.stderr, /opened: GET \/ \(no token\): v1beta1 401 no_strategy_responsible/);
  });
  await t.step("with --pure-istio: refused", async () => {
    const out = await run(["-f", "$DIR/a.yaml", "--pure-istio"], { "a.yaml": INTROSPECTION });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /refused: .*--pure-istio/);
  });
});

Deno.test("migrateCommand exits 2 on usage errors", async (t) => {
  const cases: { name: string; args: string[]; files?: Record<string, string>; why: RegExp }[] = [
    { name: "no input", args: [], why: /--file \(-f\) or --cluster is required/ },
    { name: "both inputs", args: ["-f", "x", "--cluster"], why: /either --file or --cluster/ },
    { name: "bad --issuer", args: ["-f", "x", "--issuer", "nonsense"], why: /JWKS_URL=ISSUER/ },
    { name: "bad -o", args: ["-f", "x", "-o", "xml"], why: /"xml" is not one of/ },
    {
      name: "bad --handler-defaults",
      args: ["-f", "$DIR/a.yaml", "--handler-defaults", "$DIR/d.yaml"],
      files: { "a.yaml": ALLOW, "d.yaml": "authenticators: [oops]\n" },
      why: /Handler defaults must map authenticators\/mutators/,
    },
    { name: "unreadable file", args: ["-f", "$DIR/missing.yaml"], why: /Cannot read/ },
    {
      name: "no v1beta1 APIRule",
      args: ["-f", "$DIR/a.yaml"],
      files: { "a.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n" },
      why: /No APIRule v1beta1/,
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, async () => {
      const out = await run(tc.args, tc.files);
      assert.equal(out.code, 2, out.stderr);
      assert.match(out.stderr, tc.why);
    });
  }
});
