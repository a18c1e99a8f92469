/**
 * The EnvoyFilter a RateLimit owns (docs/spec/ratelimit.md §4): same name and namespace, a controller
 * reference to the RateLimit, no labels, and two patches that insert Envoy's local rate limit
 * HTTP filter and configure it per route.
 * See https://istio.io/latest/docs/reference/config/networking/envoy-filter/
 */
import { RATELIMIT_V1ALPHA1 } from "../../api/kinds.ts";
import type { Limits } from "./buckets.ts";
import {
  type Descriptor,
  descriptorsFor,
  type EnvoyTokenBucket,
  envoyTokenBucket,
  type RateLimitEntry,
  rateLimitsFor,
} from "./descriptors.ts";
import type { RateLimitModel } from "./rate_limit.ts";

/** EnvoyFilter has no other version (decision 2 of the spec README). */
export const ENVOY_FILTER_API_VERSION = "networking.istio.io/v1alpha3";
const LOCAL_RATELIMIT = "envoy.filters.http.local_ratelimit";
const TYPED_STRUCT = "type.googleapis.com/udpa.type.v1.TypedStruct";
const LOCAL_RATELIMIT_TYPE =
  "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";

export type PatchContext = "GATEWAY" | "SIDECAR_INBOUND";

export type ControllerReference = {
  apiVersion: typeof RATELIMIT_V1ALPHA1;
  kind: "RateLimit";
  name: string;
  uid?: string;
  controller: true;
  blockOwnerDeletion: true;
};

/** The controller reference to `rateLimit` every object it owns carries. */
export function controllerReference(
  rateLimit: Pick<RateLimitModel, "name" | "uid">,
): ControllerReference {
  return {
    apiVersion: RATELIMIT_V1ALPHA1,
    kind: "RateLimit",
    name: rateLimit.name,
    ...(rateLimit.uid !== undefined ? { uid: rateLimit.uid } : {}),
    controller: true,
    blockOwnerDeletion: true,
  };
}

interface RuntimePercent {
  runtime_key: string;
  default_value: { numerator: number; denominator: "HUNDRED" };
}

export interface LocalRateLimitConfig {
  stat_prefix: "rate_limit";
  enable_x_ratelimit_headers: "DRAFT_VERSION_03" | "OFF";
  filter_enabled: RuntimePercent;
  filter_enforced: RuntimePercent;
  always_consume_default_token_bucket: false;
  token_bucket: EnvoyTokenBucket;
  descriptors: Descriptor[];
}

interface TypedStruct<T> {
  "@type": typeof TYPED_STRUCT;
  type_url: typeof LOCAL_RATELIMIT_TYPE;
  value: T;
}

export interface FilterPatch {
  applyTo: "HTTP_FILTER";
  match: {
    context: PatchContext;
    listener: {
      filterChain: { filter: { name: "envoy.filters.network.http_connection_manager" } };
    };
  };
  patch: {
    operation: "INSERT_BEFORE";
    value: { name: typeof LOCAL_RATELIMIT; typed_config: TypedStruct<{ stat_prefix: string }> };
  };
}

export interface RoutePatch {
  applyTo: "HTTP_ROUTE";
  match: { context: PatchContext };
  patch: {
    operation: "MERGE";
    value: {
      route: { rate_limits: RateLimitEntry[] };
      typed_per_filter_config: { [LOCAL_RATELIMIT]: TypedStruct<LocalRateLimitConfig> };
    };
  };
}

export type EnvoyFilter = {
  apiVersion: typeof ENVOY_FILTER_API_VERSION;
  kind: "EnvoyFilter";
  metadata: { name: string; namespace: string; ownerReferences: [ControllerReference] };
  spec: {
    workloadSelector: { labels: Record<string, string> };
    configPatches: [FilterPatch, RoutePatch];
  };
};

/**
 * The patch context: `GATEWAY` when the selector holds `app: istio-ingressgateway` (upstream) or
 * when every selected pod is an ingress gateway (apigw: upstream gives `SIDECAR_INBOUND` to a
 * gateway selected by `istio: ingressgateway`, which its Envoy never applies).
 */
export function patchContext(
  selectorLabels: Readonly<Record<string, string>>,
  options: { ingressGateway: boolean },
): PatchContext {
  return selectorLabels.app === "istio-ingressgateway" || options.ingressGateway
    ? "GATEWAY"
    : "SIDECAR_INBOUND";
}

/** The complete EnvoyFilter for a validated RateLimit. */
export function envoyFilterFor(
  rateLimit: RateLimitModel,
  limits: Limits,
  options: { context: PatchContext },
): EnvoyFilter {
  const { name, namespace } = rateLimit;
  const descriptors = descriptorsFor(limits.buckets);
  return {
    apiVersion: ENVOY_FILTER_API_VERSION,
    kind: "EnvoyFilter",
    metadata: {
      name,
      namespace,
      ownerReferences: [controllerReference(rateLimit)],
    },
    spec: {
      workloadSelector: { labels: { ...rateLimit.selectorLabels } },
      configPatches: [filterPatch(options.context), {
        applyTo: "HTTP_ROUTE",
        match: { context: options.context },
        patch: {
          operation: "MERGE",
          value: {
            route: { rate_limits: rateLimitsFor(descriptors) },
            typed_per_filter_config: {
              [LOCAL_RATELIMIT]: typedStruct({
                stat_prefix: "rate_limit",
                enable_x_ratelimit_headers: rateLimit.enableResponseHeaders
                  ? "DRAFT_VERSION_03"
                  : "OFF",
                filter_enabled: runtimePercent("local_rate_limit_enabled", 100),
                // enforce=false keeps counting (stats under `rate_limit`) but never answers 429.
                filter_enforced: runtimePercent(
                  "local_rate_limit_enforced",
                  rateLimit.enforce ? 100 : 0,
                ),
                // The default bucket only serves requests that match no descriptor.
                always_consume_default_token_bucket: false,
                token_bucket: envoyTokenBucket(limits.defaultBucket),
                descriptors,
              }),
            },
          },
        },
      }],
    },
  };
}

function filterPatch(context: PatchContext): FilterPatch {
  return {
    applyTo: "HTTP_FILTER",
    match: {
      context,
      listener: {
        filterChain: { filter: { name: "envoy.filters.network.http_connection_manager" } },
      },
    },
    patch: {
      operation: "INSERT_BEFORE",
      value: {
        name: LOCAL_RATELIMIT,
        typed_config: typedStruct({ stat_prefix: "http_local_rate_limiter" }),
      },
    },
  };
}

function typedStruct<T>(value: T): TypedStruct<T> {
  return { "@type": TYPED_STRUCT, type_url: LOCAL_RATELIMIT_TYPE, value };
}

function runtimePercent(key: string, numerator: number): RuntimePercent {
  return { runtime_key: key, default_value: { numerator, denominator: "HUNDRED" } };
}
