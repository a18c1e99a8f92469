/** `apigw validate` reports author regexes RE2 refuses (issue 14) by object and field. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

const INPUT = `apiVersion: gateway.kyma-project.io/v1beta1
kind: APIRule
metadata: {name: legacy, namespace: test}
spec:
  host: legacy.example.com
  gateway: kyma-system/kyma-gateway
  service: {name: upstream, port: 80}
  corsPolicy: {allowOrigins: [{regex: "https://(?=x)"}]}
  rules:
  - {path: "/a(?!b)", methods: [GET], accessStrategies: [{handler: no_auth}]}
  - {path: "/api/(a+)+/x", methods: [GET], accessStrategies: [{handler: no_auth}]}
---
apiVersion: gateway.kyma-project.io/v2
kind: APIRule
metadata: {name: modern, namespace: test}
spec:
  hosts: [modern.example.com]
  gateway: kyma-system/kyma-gateway
  service: {name: upstream, port: 80}
  corsPolicy: {allowOrigins: [{exact: "https://a"}, {regex: "https://(x)\\\\1"}]}
  rules: [{path: "/{**}", methods: [GET], noAuth: true}]
`;

Deno.test("validateCommand reports v1beta1 paths and CORS regexes RE2 refuses", async () => {
  const dir = await Deno.makeTempDir({ prefix: "apigw-validate-regex-" });
  try {
    await Deno.writeTextFile(`${dir}/input.yaml`, INPUT);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "validate", "-f", `${dir}/input.yaml`],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(output.code, 1);
    assert.equal(
      new TextDecoder().decode(output.stdout),
      [
        'APIRule test/legacy: spec.rules[0].path: "/a(?!b)" is not a valid RE2 regular expression: invalid or unsupported Perl syntax: `(?!`',
        'APIRule test/legacy: spec.corsPolicy.allowOrigins[0].regex: "https://(?=x)" is not a valid RE2 regular expression: invalid or unsupported Perl syntax: `(?=`',
        'APIRule test/modern: spec.corsPolicy.allowOrigins[1].regex: "https://(x)\\\\1" is not a valid RE2 regular expression: invalid escape sequence: `\\1`',
        "Checked 2 objects: 2 invalid, 3 problems",
        "",
      ].join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
