import assert from "node:assert/strict";
import type { CommandIO } from "./command.ts";
import { convertCommand } from "./convert.ts";

const V1BETA1_RULE = `apiVersion: gateway.kyma-project.io/v1beta1
kind: APIRule
metadata: {name: httpbin, namespace: shop}
spec:
  host: httpbin.example.com
  gateway: kyma-system/kyma-gateway
  rules:
  - path: /headers
    methods: [GET]
    accessStrategies: [{handler: no_auth}]
`;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], files: Record<string, string> = {}): Promise<Outcome> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-convert-" });
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
    const code = await convertCommand.run(args.map((a) => a.replace("$DIR", dir)), io);
    return { code, stdout, stderr };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("convertCommand prints the converted object as YAML by default", async () => {
  const out = await run(["-f", "$DIR/a.yaml", "--to", "gateway.kyma-project.io/v2"], {
    "a.yaml": V1BETA1_RULE,
  });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^apiVersion: gateway.kyma-project.io\/v2\nkind: APIRule\n/);
  assert.match(out.stdout, /noAuth: true/);
});

Deno.test("convertCommand prints the bare object with -o json, and accepts a bare version", async () => {
  const out = await run(["-f", "$DIR/a.yaml", "--to", "v2alpha1", "-o", "json"], {
    "a.yaml": V1BETA1_RULE,
  });
  assert.equal(out.code, 0, out.stderr);
  const object = JSON.parse(out.stdout);
  assert.equal(object.apiVersion, "gateway.kyma-project.io/v2alpha1");
  assert.deepEqual(object.spec.hosts, ["httpbin.example.com"]);
});

Deno.test("convertCommand prints a v1 List with -o json for several APIRules", async () => {
  const out = await run(["-f", "$DIR/a.yaml", "--to", "v2", "-o", "json"], {
    "a.yaml": `${V1BETA1_RULE}---\n${V1BETA1_RULE.replace("name: httpbin", "name: other")}`,
  });
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(
    JSON.parse(out.stdout).items.map((i: { metadata: { name: string } }) => i.metadata.name),
    [
      "httpbin",
      "other",
    ],
  );
});

Deno.test("convertCommand exits 1 naming file, object and reason when a conversion fails", async () => {
  const broken = V1BETA1_RULE.replace(
    "accessStrategies: [{handler: no_auth}]",
    "accessStrategies: [{handler: jwt, config: {trusted_issuers: x}}]",
  );
  const out = await run(["-f", "$DIR/a.yaml", "--to", "v2"], { "a.yaml": broken });
  assert.equal(out.code, 1);
  assert.equal(out.stdout, "");
  assert.match(
    out.stderr,
    /a\.yaml: Cannot convert APIRule "shop\/httpbin" to gateway\.kyma-project\.io\/v2: spec\.rules\[0\]\.accessStrategies\[0\]\.config\.trusted_issuers: must be a list, got a string/,
  );
});

Deno.test("convertCommand exits 1 for an object that is not an APIRule", async () => {
  const out = await run(["-f", "$DIR/a.yaml", "--to", "v2"], {
    "a.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
  });
  assert.equal(out.code, 1);
  assert.match(out.stderr, /kind: must be "APIRule", got "Service"/);
});

Deno.test("convertCommand exits 2 for usage errors and unreadable input", async (t) => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ["no --to", ["-f", "$DIR/a.yaml"], { "a.yaml": V1BETA1_RULE }, /--to is required/],
    ["no -f", ["--to", "v2"], {}, /--file \(-f\) is required/],
    [
      "unknown version",
      ["-f", "$DIR/a.yaml", "--to", "v3"],
      { "a.yaml": V1BETA1_RULE },
      /"v3" is not one of/,
    ],
    [
      "unknown output",
      ["-f", "$DIR/a.yaml", "--to", "v2", "-o", "xml"],
      { "a.yaml": V1BETA1_RULE },
      /"xml"/,
    ],
    [
      "unknown flag",
      ["-f", "$DIR/a.yaml", "--to", "v2", "--bogus"],
      { "a.yaml": V1BETA1_RULE },
      /bogus/,
    ],
    [
      "stray argument",
      ["-f", "$DIR/a.yaml", "--to", "v2", "extra"],
      { "a.yaml": V1BETA1_RULE },
      /"extra"/,
    ],
    ["missing file", ["-f", "$DIR/none.yaml", "--to", "v2"], {}, /Cannot read/],
    ["unparsable file", ["-f", "$DIR/a.yaml", "--to", "v2"], { "a.yaml": "a: [" }, /Cannot parse/],
    ["empty file", ["-f", "$DIR/a.yaml", "--to", "v2"], { "a.yaml": "" }, /No object/],
  ];
  for (const [name, args, files, message] of cases) {
    await t.step(name, async () => {
      const out = await run(args, files);
      assert.equal(out.code, 2);
      assert.match(out.stderr, message);
    });
  }
});

Deno.test("convertCommand prints its help with --help", async () => {
  const out = await run(["--help"]);
  assert.equal(out.code, 0);
  assert.match(out.stdout, /^Usage: apigw convert -f FILE --to APIVERSION \[-o yaml\|json\]/);
});
