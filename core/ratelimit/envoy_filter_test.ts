import assert from "node:assert/strict";
import type { Limits } from "./buckets.ts";
import { type EnvoyFilter, envoyFilterFor, patchContext } from "./envoy_filter.ts";
import { model } from "./_testing.ts";
import type { RateLimitModel } from "./rate_limit.ts";

const LIMITS: Limits = {
  defaultBucket: { maxTokens: 20, tokensPerFill: 10, fillInterval: 30_000_000_000n },
  buckets: [{
    path: "/ip",
    headers: {},
    bucket: { maxTokens: 5, tokensPerFill: 5, fillInterval: 60_000_000_000n },
  }],
};

function build(
  fields: Partial<RateLimitModel> = {},
  context: "GATEWAY" | "SIDECAR_INBOUND" = "SIDECAR_INBOUND",
): EnvoyFilter {
  return envoyFilterFor(model([], fields), LIMITS, { context });
}

function localConfig(filter: EnvoyFilter) {
  return filter.spec.configPatches[1].patch.value
    .typed_per_filter_config["envoy.filters.http.local_ratelimit"].value;
}

Deno.test("envoyFilterFor() builds the §4.3 layout", () => {
  const filter = build({ uid: "1234" });
  const typed = {
    "@type": "type.googleapis.com/udpa.type.v1.TypedStruct",
    type_url: "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
  };
  assert.deepEqual(filter, {
    apiVersion: "networking.istio.io/v1alpha3",
    kind: "EnvoyFilter",
    metadata: {
      name: "orders",
      namespace: "shop",
      ownerReferences: [{
        apiVersion: "gateway.kyma-project.io/v1alpha1",
        kind: "RateLimit",
        name: "orders",
        uid: "1234",
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec: {
      workloadSelector: { labels: { app: "orders" } },
      configPatches: [
        {
          applyTo: "HTTP_FILTER",
          match: {
            context: "SIDECAR_INBOUND",
            listener: {
              filterChain: { filter: { name: "envoy.filters.network.http_connection_manager" } },
            },
          },
          patch: {
            operation: "INSERT_BEFORE",
            value: {
              name: "envoy.filters.http.local_ratelimit",
              typed_config: { ...typed, value: { stat_prefix: "http_local_rate_limiter" } },
            },
          },
        },
        {
          applyTo: "HTTP_ROUTE",
          match: { context: "SIDECAR_INBOUND" },
          patch: {
            operation: "MERGE",
            value: {
              route: {
                rate_limits: [{
                  actions: [{ request_headers: { header_name: ":path", descriptor_key: "path" } }],
                }],
              },
              typed_per_filter_config: {
                "envoy.filters.http.local_ratelimit": {
                  ...typed,
                  value: {
                    stat_prefix: "rate_limit",
                    enable_x_ratelimit_headers: "OFF",
                    filter_enabled: {
                      runtime_key: "local_rate_limit_enabled",
                      default_value: { numerator: 100, denominator: "HUNDRED" },
                    },
                    filter_enforced: {
                      runtime_key: "local_rate_limit_enforced",
                      default_value: { numerator: 100, denominator: "HUNDRED" },
                    },
                    always_consume_default_token_bucket: false,
                    token_bucket: {
                      max_tokens: 20,
                      tokens_per_fill: 10,
                      fill_interval: "30.000000s",
                    },
                    descriptors: [{
                      entries: [{ key: "path", value: "/ip" }],
                      token_bucket: {
                        max_tokens: 5,
                        tokens_per_fill: 5,
                        fill_interval: "60.000000s",
                      },
                    }],
                  },
                },
              },
            },
          },
        },
      ],
    },
  });
});

Deno.test("envoyFilterFor() follows enableResponseHeaders and enforce", async (t) => {
  const cases: Array<
    { name: string; fields: Partial<RateLimitModel>; headers: string; enforced: number }
  > = [
    { name: "defaults: no headers, enforced", fields: {}, headers: "OFF", enforced: 100 },
    {
      name: "response headers",
      fields: { enableResponseHeaders: true },
      headers: "DRAFT_VERSION_03",
      enforced: 100,
    },
    {
      name: "enforce=false: enabled but 0 % enforced",
      fields: { enforce: false },
      headers: "OFF",
      enforced: 0,
    },
  ];
  for (const tc of cases) {
    await t.step(tc.name, () => {
      const config = localConfig(build(tc.fields));
      assert.equal(config.enable_x_ratelimit_headers, tc.headers);
      assert.equal(config.filter_enabled.default_value.numerator, 100);
      assert.equal(config.filter_enforced.default_value.numerator, tc.enforced);
    });
  }
});

Deno.test("envoyFilterFor() uses the context in both patches", async (t) => {
  for (const context of ["GATEWAY", "SIDECAR_INBOUND"] as const) {
    await t.step(context, () => {
      const [filter, route] = build({}, context).spec.configPatches;
      assert.equal(filter.match.context, context);
      assert.equal(route.match.context, context);
    });
  }
});

Deno.test("envoyFilterFor() leaves the uid out of the owner reference when the CR has none", () => {
  const [reference] = build().metadata.ownerReferences;
  assert.equal("uid" in reference, false);
});

Deno.test("patchContext() picks GATEWAY for the ingress gateway, else SIDECAR_INBOUND", async (t) => {
  const cases: Array<
    { name: string; labels: Record<string, string>; ingressGateway: boolean; context: string }
  > = [
    {
      name: "app: istio-ingressgateway (upstream)",
      labels: { app: "istio-ingressgateway", istio: "ingressgateway" },
      ingressGateway: true,
      context: "GATEWAY",
    },
    {
      name: "app: istio-ingressgateway, whatever the pods",
      labels: { app: "istio-ingressgateway" },
      ingressGateway: false,
      context: "GATEWAY",
    },
    {
      name: "only istio: ingressgateway, gateway pods (weak-spot fix)",
      labels: { istio: "ingressgateway" },
      ingressGateway: true,
      context: "GATEWAY",
    },
    {
      name: "a sidecar workload",
      labels: { app: "orders" },
      ingressGateway: false,
      context: "SIDECAR_INBOUND",
    },
  ];
  for (const tc of cases) {
    await t.step(
      tc.name,
      () =>
        assert.equal(patchContext(tc.labels, { ingressGateway: tc.ingressGateway }), tc.context),
    );
  }
});
