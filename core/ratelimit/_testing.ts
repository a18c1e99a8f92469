/** Builders for the RateLimit planner's tests: small objects with only the fields that matter. */
import type { KubeObject } from "../../api/meta.ts";
import type { BucketConfig } from "../../api/ratelimit/v1alpha1.ts";
import { OFFLINE_CRDS } from "../installed_crds.ts";
import { type Snapshot, snapshotOf } from "../snapshot.ts";
import type { RateLimitModel } from "./rate_limit.ts";

export const NAMESPACE = "shop";

/** A RateLimit CR selecting `app: orders` in `shop`, with `spec` fields overridden. */
export function rateLimitCR(
  name = "orders",
  spec: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: "gateway.kyma-project.io/v1alpha1",
    kind: "RateLimit",
    metadata: { name, namespace: NAMESPACE, ...metadata },
    spec: {
      selectorLabels: { app: "orders" },
      local: { defaultBucket: { maxTokens: 10, tokensPerFill: 5, fillInterval: "1s" } },
      ...spec,
    },
  };
}

/** A parsed RateLimit with the given buckets. */
export function model(
  buckets: BucketConfig[] = [],
  fields: Partial<RateLimitModel> = {},
): RateLimitModel {
  return {
    name: "orders",
    namespace: NAMESPACE,
    selectorLabels: { app: "orders" },
    defaultBucket: { maxTokens: 10, tokensPerFill: 5, fillInterval: "1s" },
    buckets,
    enforce: true,
    enableResponseHeaders: false,
    ...fields,
  };
}

/** A Pod in `shop` (unless the labels say otherwise) with an injected sidecar by default. */
export function pod(
  name: string,
  labels: Record<string, string> = { app: "orders" },
  options: { sidecar?: boolean; namespace?: string } = {},
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: options.namespace ?? NAMESPACE,
      labels,
      ...(options.sidecar === false ? {} : { annotations: { "sidecar.istio.io/status": "{}" } }),
    },
  };
}

/** The APIGateway CR `default` in the given state (`null`: no status at all). */
export function apiGateway(
  state: string | null = "Ready",
  metadata: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: "operator.kyma-project.io/v1alpha1",
    kind: "APIGateway",
    metadata: { name: "default", ...metadata },
    spec: {},
    ...(state === null ? {} : { status: { state } }),
  };
}

/** A snapshot with the offline CRDs (or `crds`) over `objects`. */
export function snapshot(
  objects: KubeObject[],
  crds: ReadonlySet<string> = OFFLINE_CRDS,
): Snapshot {
  return snapshotOf(objects, crds);
}
