import assert from "node:assert/strict";
import type { KubeObject } from "../api/meta.ts";
import { statusPageHandler, statusRows } from "./status_page.ts";
import { dashboardHosts } from "../lib/dashboard_http.ts";

const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

const OBJECTS: Record<"APIRule" | "RateLimit", KubeObject[]> = {
  APIRule: [
    {
      apiVersion: "gateway.kyma-project.io/v2",
      kind: "APIRule",
      metadata: { name: "orders", namespace: "shop", generation: 3 },
      spec: { hosts: ["orders.example.com"] },
      status: {
        state: "Error",
        description: `Validation error: Bearer ${TOKEN} at https://idp.example/jwks?key=abc`,
        lastProcessedTime: "2026-12-07T21:00:00Z",
      },
    },
    {
      apiVersion: "gateway.kyma-project.io/v1beta1",
      kind: "APIRule",
      metadata: { name: "legacy", namespace: "shop", generation: 1 },
      status: { APIRuleStatus: { code: "OK", desc: "" } },
    },
  ],
  RateLimit: [{
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: { name: "orders", namespace: "shop" },
    spec: { local: { defaultBucket: { maxTokens: 5 } } },
  }],
};

const HOST = "127.0.0.1:9400";
const handler = statusPageHandler({
  list: (kind) => OBJECTS[kind],
  hosts: () => dashboardHosts({ hostname: "127.0.0.1", port: 9400 }),
});

Deno.test("statusRows() reads v2, v1beta1 and RateLimit status, redacting the texts", () => {
  const rows = statusRows({ list: (kind) => OBJECTS[kind] });
  assert.deepEqual(rows.map((r) => [r.kind, `${r.namespace}/${r.name}`, r.state]), [
    ["APIRule", "shop/orders", "Error"],
    ["APIRule", "shop/legacy", "OK"],
    ["RateLimit", "shop/orders", "(none yet)"],
  ]);
  assert.equal(
    rows[0]!.description,
    "Validation error: Bearer [redacted] at https://idp.example/jwks?[query]",
  );
});

Deno.test("the status page lists the objects, read-only, for its own host only", async () => {
  const page = handler(new Request(`http://${HOST}/`, { headers: { host: HOST } }));
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("x-frame-options"), "DENY");
  const text = await page.text();
  assert.match(text, /<td>APIRule<\/td>\s*<td>shop\/orders<\/td>/);
  assert.match(text, /<td class="bad">Error<\/td>/);
  assert.ok(!text.includes(TOKEN) && !text.includes("key=abc"), "tokens and queries redacted");
  assert.ok(!text.includes("maxTokens"), "no spec shown");
  const json = await handler(
    new Request(`http://${HOST}/api/status`, { headers: { host: HOST } }),
  ).json();
  assert.equal(json.objects.length, 3);
  const rebound = handler(new Request(`http://${HOST}/`, { headers: { host: "evil.example" } }));
  assert.equal(rebound.status, 421);
  await rebound.body?.cancel();
  const posted = handler(
    new Request(`http://${HOST}/`, { method: "POST", headers: { host: HOST } }),
  );
  assert.equal(posted.status, 405);
  await posted.body?.cancel();
  const missing = handler(new Request(`http://${HOST}/nope`, { headers: { host: HOST } }));
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});
