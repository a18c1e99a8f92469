import assert from "node:assert/strict";
import { INFORMERS } from "../controllers/cache.ts";
import type { CommandIO } from "./command.ts";
import { manifestsCommand, operatorManifests } from "./manifests.ts";

type Json = Record<string, unknown>;

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

function rulesOf(objects: Json[], kind: string, namespace?: string): Rule[] {
  return objects.filter((o) =>
    o.kind === kind && (o.metadata as Json | undefined)?.name === "api-gateway-manager-role" &&
    (namespace === undefined || (o.metadata as Json).namespace === namespace)
  ).flatMap((o) => o.rules as Rule[]);
}

function allows(rules: Rule[], group: string, resource: string, verb: string): boolean {
  return rules.some((r) =>
    r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb) &&
    r.resourceNames === undefined
  );
}

Deno.test("operatorManifests() lets the operator list and watch everything it caches", async (t) => {
  const objects = operatorManifests({ image: "apigw:test", replicas: 2 });
  const cluster = rulesOf(objects, "ClusterRole");
  for (const informer of INFORMERS) {
    const { group, plural } = informer.type;
    const scope = informer.namespace ?? "all namespaces";
    await t.step(`${plural}.${group || "core"} in ${scope}`, () => {
      const rules = informer.namespace === undefined
        ? cluster
        : [...cluster, ...rulesOf(objects, "Role", informer.namespace)];
      for (const verb of ["list", "watch"]) {
        assert.ok(allows(rules, group, plural, verb), `${verb} ${plural} in ${scope}`);
      }
    });
  }
});

Deno.test("operatorManifests() ships upstream's names and the requested image and replicas", () => {
  const objects = operatorManifests({ image: "registry.example/apigw:1.2.3", replicas: 2 });
  const names = objects.map((o) => `${o.kind} ${(o.metadata as Json).name}`);
  for (
    const expected of [
      "Namespace kyma-system",
      "CustomResourceDefinition apirules.gateway.kyma-project.io",
      "ServiceAccount api-gateway-controller-manager",
      "ClusterRoleBinding api-gateway-manager-rolebinding",
      "Role api-gateway-leader-election-role",
      "Service api-gateway-webhook-service",
      "Service api-gateway-operator-metrics",
      "Deployment api-gateway-controller-manager",
      "PodDisruptionBudget api-gateway-controller-manager",
      "PriorityClass api-gateway-priority-class",
    ]
  ) {
    assert.ok(names.includes(expected), `missing ${expected}`);
  }
  const deployment = objects.find((o) => o.kind === "Deployment") as Json;
  const spec = deployment.spec as Json;
  assert.equal(spec.replicas, 2);
  const container = ((spec.template as Json).spec as Json).containers as Json[];
  assert.equal(container[0]!.image, "registry.example/apigw:1.2.3");
  assert.ok((container[0]!.args as string[]).includes("--leader-elect"));
});

Deno.test("manifestsCommand prints YAML documents for kubectl apply -f -", async () => {
  const out: string[] = [];
  const io: CommandIO = {
    stdout: (text) => void out.push(text),
    stderr: () => {},
    env: () => undefined,
    signal: new AbortController().signal,
  };
  assert.equal(await manifestsCommand.run(["--replicas", "3"], io), 0);
  const text = out.join("");
  assert.ok(text.includes("replicas: 3"));
  assert.equal(
    text.split("\n---\n").length,
    operatorManifests({ image: "x", replicas: 3, authzReplicas: 2 }).length,
  );
});

function captured(): { io: CommandIO; text: () => string } {
  const out: string[] = [];
  return {
    io: {
      stdout: (text) => void out.push(text),
      stderr: () => {},
      env: () => undefined,
      signal: new AbortController().signal,
    },
    text: () => out.join(""),
  };
}

Deno.test("manifestsCommand includes apigw authz unless --authz-replicas 0", async () => {
  const withAuthz = captured();
  assert.equal(
    await manifestsCommand.run(["--authz-replicas", "3", "-o", "json"], withAuthz.io),
    0,
  );
  const items = (JSON.parse(withAuthz.text()) as { items: Json[] }).items;
  const authz = items.find((o) =>
    o.kind === "Deployment" && (o.metadata as Json).name === "apigw-authz"
  );
  assert.ok(authz !== undefined, "the authz Deployment is installed");
  assert.equal((authz.spec as Json).replicas, 3);
  assert.ok(items.some((o) => o.kind === "Service" && (o.metadata as Json).name === "apigw-authz"));
  const without = captured();
  assert.equal(await manifestsCommand.run(["--authz-replicas", "0", "-o", "json"], without.io), 0);
  assert.ok(!without.text().includes('"apigw-authz"'));
  const bad = captured();
  assert.equal(await manifestsCommand.run(["--authz-replicas", "-1"], bad.io), 2);
});

Deno.test("manifestsCommand --extension-provider prints the mesh config for Envoy", async () => {
  const out = captured();
  assert.equal(await manifestsCommand.run(["--extension-provider", "-o", "json"], out.io), 0);
  const snippet = JSON.parse(out.text()) as Json;
  const provider = ((snippet.meshConfig as Json).extensionProviders as Json[])[0]!;
  assert.equal(provider.name, "apigw-authz");
  assert.deepEqual(
    [
      (provider.envoyExtAuthzHttp as Json).timeout,
      (provider.envoyExtAuthzHttp as Json).statusOnError,
    ],
    ["1s", "503"],
  );
  assert.ok(
    JSON.stringify(snippet.kymaIstio).includes("apigw-authz.kyma-system.svc.cluster.local"),
  );
});

Deno.test("manifestsCommand --extension-provider -f passes the headers the rules and limits read", async () => {
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(
    file,
    `apiVersion: gateway.kyma-project.io/v1beta1
kind: APIRule
metadata: {name: orders, namespace: shop}
spec:
  host: orders.example.com
  gateway: kyma-system/kyma-gateway
  service: {name: orders, port: 8080}
  rules:
    - path: /.*
      methods: [GET]
      accessStrategies:
        - handler: oauth2_introspection
          config:
            introspection_url: https://idp.example.com/introspect
            token_from: {header: X-Token}
      mutators:
        - handler: header
          config: {headers: {X-User: "{{ print .Subject }}"}}
---
apiVersion: gateway.kyma-project.io/v1alpha1
kind: RateLimit
metadata: {name: per-tenant, namespace: shop}
spec:
  selectorLabels: {app: orders}
  local:
    defaultBucket: {maxTokens: 100, tokensPerFill: 100, fillInterval: 1s}
  global:
    key: {header: {name: X-Tenant}}
    defaultBucket: {maxTokens: 10, tokensPerFill: 1, fillInterval: 1s}
    buckets:
      - headers: {x-plan: free}
        bucket: {maxTokens: 2, tokensPerFill: 1, fillInterval: 1s}
`,
  );
  try {
    const out = captured();
    assert.equal(
      await manifestsCommand.run(["--extension-provider", "-f", file, "-o", "json"], out.io),
      0,
    );
    const snippet = JSON.parse(out.text()) as Json;
    const http = ((snippet.meshConfig as Json).extensionProviders as Json[])[0]!
      .envoyExtAuthzHttp as Json;
    assert.ok((http.includeRequestHeadersInCheck as string[]).includes("x-token"));
    for (const name of ["x-tenant", "x-plan"]) {
      assert.ok(
        (http.includeRequestHeadersInCheck as string[]).includes(name),
        `${name}: a global limit's key and bucket headers reach the check`,
      );
    }
    assert.ok((http.headersToUpstreamOnAllow as string[]).includes("x-user"));
    const alone = captured();
    assert.equal(await manifestsCommand.run(["-f", file], alone.io), 2, "-f needs the flag");
  } finally {
    await Deno.remove(file);
  }
});
