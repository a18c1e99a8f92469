import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CONFORMANCE = new URL("../tests/fixtures/conformance/apirule-v2/", import.meta.url);

async function validate(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "validate", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

async function withFile<T>(content: string, run: (path: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-validate-" });
  try {
    const path = `${dir}/input.yaml`;
    await Deno.writeTextFile(path, content);
    return await run(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const CLUSTER = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: kyma-gateway, namespace: kyma-system}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ['*.local.kyma.dev']
---
apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: demo}
spec:
  selector: {app: httpbin}
  ports: [{port: 8000}]
---
apiVersion: v1
kind: Pod
metadata: {name: httpbin-1, namespace: demo, labels: {app: httpbin}}
spec:
  containers: [{name: httpbin}, {name: istio-proxy}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: other, namespace: other}
spec:
  hosts: [taken.local.kyma.dev]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    extensionProviders:
    - name: ext-authz
      envoyExtAuthzHttp: {service: ext-authz.ext-authz.svc.cluster.local, port: 8000}
`;

function apiRule(name: string, spec: string): string {
  return `---
apiVersion: gateway.kyma-project.io/v2
kind: APIRule
metadata: {name: ${name}, namespace: demo}
spec:
  gateway: kyma-system/kyma-gateway
${spec}`;
}

const VALID = apiRule(
  "good",
  `  hosts: [good]
  service: {name: httpbin, port: 8000}
  rules:
  - {path: /headers, methods: [GET], noAuth: true}
  - {path: "/anything/{**}", methods: [GET, POST], extAuth: {authorizers: [ext-authz]}}
`,
);

const BROKEN = [
  apiRule(
    "paths",
    `  hosts: [paths.local.kyma.dev]
  service: {name: httpbin, port: 8000}
  rules:
  - {path: "/a/{**}/b/{**}", methods: [GET], noAuth: true}
  - {path: "/{**}", methods: [GET], noAuth: true}
  - {path: /c, methods: [GET], noAuth: true}
`,
  ),
  apiRule(
    "auth",
    `  hosts: [taken]
  rules:
  - path: /secure
    methods: [GET]
    jwt: {authorizations: [{audiences: [app]}]}
  - path: /login
    methods: [POST]
    service: {name: httpbin, port: 8000}
    extAuth: {authorizers: [unknown-authz]}
`,
  ),
  apiRule(
    "schema",
    `  hosts: [Schema.local.kyma.dev]
  service: {name: httpbin, port: 8000}
  timeout: 0
  rules:
  - {path: /x, methods: [GET]}
  - {path: "/y/{**}/{*}", methods: [GET], noAuth: true, extra: 1}
`,
  ),
];

Deno.test("validateCommand prints every problem of every APIRule and exits 1", async () => {
  const result = await withFile(CLUSTER + BROKEN.join("") + VALID, (path) => validate("-f", path));
  assert.equal(result.code, 1, result.stderr);
  assert.equal(
    result.stdout,
    [
      "APIRule demo/paths: spec.rules[0].path: Only one {**} operator is allowed in the path.",
      "APIRule demo/paths: spec.rules: Path /c with method GET conflicts with at least one of the previous rule paths",
      "APIRule demo/auth: spec.rules[0].service: The rule must define a service, because no service is defined on spec level",
      "APIRule demo/auth: spec.rules[0].jwt.authentications: A JWT config must have at least one authentication",
      "APIRule demo/auth: spec.rules[0]: Failed to execute sidecar injection validation, err: service name is required but missing",
      "APIRule demo/auth: spec.rules[1].extAuth.externalAuthorizers.unknown-authz: Authorizer not found in Istio ConfigMap mesh data",
      "APIRule demo/auth: spec.hosts[0]: Host is occupied by another Virtual Service (other/other)",
      `APIRule demo/schema: spec.hosts[0]: Invalid value: "string": Host must be a lowercase RFC 1123 label (must consist of lowercase alphanumeric characters or '-', and must start and end with an lowercase alphanumeric character), a fully qualified domain name, or a wildcard domain name (e.g. *.local.kyma.dev)`,
      "APIRule demo/schema: spec.timeout: Invalid value: 0: spec.timeout in body should be greater than or equal to 1",
      'APIRule demo/schema: spec.rules[0]: Invalid value: "object": One of the following fields must be set: noAuth, jwt, extAuth',
      'APIRule demo/schema: spec.rules[1].extra: unknown field "spec.rules[1].extra"',
      "Checked 4 objects: 3 invalid, 11 problems",
      "",
    ].join("\n"),
  );
  assert.equal(result.stderr, "");
});

Deno.test("validateCommand exits 0 for a valid file", async () => {
  const result = await withFile(CLUSTER + VALID, (path) => validate("-f", path));
  assert.deepEqual(result, { code: 0, stdout: "Checked 1 object: all valid\n", stderr: "" });
});

Deno.test("validateCommand notes the checks it skipped on stderr", async () => {
  const result = await withFile(VALID, (path) => validate("-f", path));
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "Checked 1 object: all valid\n");
  assert.equal(
    result.stderr,
    [
      'note: APIRule demo/good: Gateway checks skipped: no Gateway "kyma-system/kyma-gateway" in the input',
      'note: APIRule demo/good: Service checks skipped: no Service "demo/httpbin" in the input',
      'note: APIRule demo/good: extAuth checks skipped: no ConfigMap "istio-system/istio" in the input',
      "",
    ].join("\n"),
  );
});

Deno.test("validateCommand with --complete treats missing objects as missing", async () => {
  const result = await withFile(VALID, (path) => validate("-f", path, "--complete"));
  assert.equal(result.code, 1);
  assert.equal(
    result.stdout,
    "APIRule demo/good: spec.gateway: Could not get specified Gateway\nChecked 1 object: 1 invalid, 1 problem\n",
  );
});

Deno.test("validateCommand exits 2 for usage errors and unreadable input", async (t) => {
  await t.step("a file that does not exist", async () => {
    const result = await validate("-f", "/nonexistent/apirule.yaml");
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Cannot read "\/nonexistent\/apirule.yaml"/);
    assert.equal(result.stdout, "");
  });
  await t.step("a file that is not YAML", async () => {
    const result = await withFile("a: [", (path) => validate("-f", path));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Cannot parse/);
  });
  await t.step("no -f", async () => {
    const result = await validate();
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Missing -f FILE/);
  });
  await t.step("an unknown option", async () => {
    assert.equal((await validate("--nope")).code, 2);
  });
});

Deno.test("validateCommand --help explains the command", async () => {
  const result = await validate("--help");
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^Usage: apigw validate -f FILE/);
  assert.match(result.stdout, /0 when every object is valid, 1 when any has a problem, 2 for/);
});

Deno.test("validateCommand reports the offline-detectable APIRule v2 conformance errors", async (t) => {
  for await (const entry of Deno.readDir(CONFORMANCE)) {
    if (!entry.name.startsWith("error-") || !entry.name.endsWith(".yaml")) continue;
    const vector: unknown = parse(await Deno.readTextFile(new URL(entry.name, CONFORMANCE)));
    if (
      typeof vector !== "object" || vector === null || !("input" in vector) ||
      !("expectError" in vector)
    ) {
      throw new TypeError(`Conformance case ${entry.name} has no input and expectError`);
    }
    const { input, expectError } = vector;
    if (typeof input !== "string" || typeof expectError !== "string") continue;
    await t.step(entry.name, async () => {
      const result = await withFile(input, (path) => validate("-f", path));
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.ok(result.stdout.includes(expectError), `${expectError}\nnot in\n${result.stdout}`);
    });
  }
});
