/**
 * Issue 19's examples end to end: an APIRule v2 with `spec.service: null` or
 * `spec.corsPolicy: null` (YAML `service:` with nothing after it). The apiserver prunes such
 * nulls, so `render` and `validate` treat the object as the cluster stores it, and `apigw serve`
 * serves it; where the pruned object is invalid, each answers with the field, never a stack trace.
 */
import assert from "node:assert/strict";
import { runCli } from "../../cli/mod.ts";
import { startGateway, startUpstream, upstreamService } from "./_gateway.ts";

const GATEWAY = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: kyma-gateway, namespace: kyma-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ['*.test']
    tls: {mode: SIMPLE, credentialName: kyma-gateway-certs}
---
apiVersion: v1
kind: Service
metadata: {name: upstream, namespace: test}
spec:
  selector: {app: upstream}
  ports: [{name: http, port: 8000}]
`;

/** An APIRule whose spec.service and spec.corsPolicy are YAML nulls. */
function ruleWithNulls(ruleService: boolean): string {
  return `
apiVersion: gateway.kyma-project.io/v2
kind: APIRule
metadata: {name: nulls, namespace: test}
spec:
  hosts: [nulls.test]
  gateway: kyma-system/kyma-gateway
  service:
  corsPolicy:
  rules:
  - path: /*
    methods: [GET]
    noAuth: true
${ruleService ? "    service: {name: upstream, namespace: test, port: 8000}" : ""}
`;
}

async function cli(args: string[], text: string) {
  const dir = await Deno.makeTempDir({ prefix: "apigw-nulls-" });
  try {
    await Deno.writeTextFile(`${dir}/input.yaml`, text);
    let stdout = "";
    let stderr = "";
    const code = await runCli(args.map((a) => a.replace("INPUT", `${dir}/input.yaml`)), {
      stdout: (t) => stdout += t,
      stderr: (t) => stderr += t,
      env: () => undefined,
      signal: new AbortController().signal,
    });
    return { code, stdout, stderr };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("apigw render and validate read spec.service: null as the cluster stores it", async () => {
  const input = ruleWithNulls(true) + "---" + GATEWAY;
  const rendered = await cli(["render", "-f", "INPUT", "--now", "2026-01-01T00:00:00Z"], input);
  assert.equal(rendered.code, 0, rendered.stderr);
  assert.match(rendered.stdout, /kind: VirtualService/);
  assert.match(rendered.stdout, /state: Ready/);
  assert.doesNotMatch(rendered.stdout, /corsPolicy:/);
  const validated = await cli(["validate", "-f", "INPUT"], input);
  assert.equal(validated.code, 0, validated.stdout);
  assert.match(validated.stdout, /all valid/);
  const converted = await cli(["convert", "-f", "INPUT", "--to", "v2alpha1"], ruleWithNulls(true));
  assert.equal(converted.code, 0, converted.stderr);
  assert.doesNotMatch(converted.stdout, /service: null|corsPolicy/);
});

Deno.test("apigw render and validate name the field when the pruned rule has no service", async () => {
  const input = ruleWithNulls(false) + "---" + GATEWAY;
  const validated = await cli(["validate", "-f", "INPUT"], input);
  assert.equal(validated.code, 1);
  assert.match(validated.stdout, /^APIRule test\/nulls: spec\.rules\[0\]\.service: /m);
  const rendered = await cli(["render", "-f", "INPUT", "--now", "2026-01-01T00:00:00Z"], input);
  assert.equal(rendered.code, 1);
  assert.match(rendered.stderr, /^APIRule test\/nulls: Error: .*service/m);
  assert.doesNotMatch(rendered.stderr + validated.stderr, /TypeError|\n\s+at /);
});

Deno.test("apigw serve serves an APIRule with spec.service: null and skips a broken one", async () => {
  await using upstream = await startUpstream();
  const rule = ruleWithNulls(false).replace("spec:\n", "spec:\n  timeout: 10\n")
    .replace("  service:\n", `  service: null\n  externalGateway: null\n`)
    .replace(
      "    noAuth: true\n",
      `    noAuth: true\n    service: {name: upstream, namespace: test, port: ${upstream.port}}\n`,
    );
  await using gateway = await startGateway({
    "service.json": upstreamService(upstream.port),
    "rule.yaml": rule,
    "broken.yaml": ruleWithNulls(false).replaceAll("nulls", "broken"),
  });
  const response = await gateway.fetch("http://nulls.test/hello");
  assert.equal(response.status, 200, await response.text());
  const skipped = gateway.logs.map((l) => JSON.parse(l)).find((e) =>
    e.msg === "Not serving object" && e.object === "APIRule test/broken"
  );
  assert.ok(skipped !== undefined, gateway.logs.join("\n"));
  assert.match(JSON.stringify(skipped), /spec\.rules\[0\]\.service/);
});
