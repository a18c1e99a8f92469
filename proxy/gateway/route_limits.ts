/**
 * The local rate limits of the embedded gateway's routes: each RateLimit's `spec.local` buckets,
 * and which routes a RateLimit selects (the ingress gateway's label: all; otherwise the routes of
 * the Services in its namespace carrying its `selectorLabels`).
 */
import type { KubeObject } from "../../api/meta.ts";
import type { ConfigProblem } from "../config_problem.ts";
import { checkBuckets } from "../../core/ratelimit/buckets.ts";
import { isRecord } from "../../core/ratelimit/_json.ts";
import { parseRateLimit } from "../../core/ratelimit/rate_limit.ts";
import { type LocalLimit, localLimit } from "../ratelimit/local.ts";
import type { ServiceEntry } from "./services.ts";

const GATEWAY_SELECTOR = ["app", "istio-ingressgateway"] as const;

interface NamedPolicy {
  namespace: string;
  selector: Readonly<Record<string, string>>;
  policy: LocalLimit;
}

export function readRateLimits(
  objects: readonly unknown[],
  problems: ConfigProblem[],
): NamedPolicy[] {
  const out: NamedPolicy[] = [];
  for (const object of objects) {
    if (!isKubeObject(object) || object.kind !== "RateLimit") continue;
    const label = `RateLimit ${object.metadata.namespace ?? "default"}/${object.metadata.name}`;
    const model = parseRateLimit(object);
    if (!model.ok) {
      problems.push({ object: label, reason: model.error });
      continue;
    }
    const limits = checkBuckets(model.value.defaultBucket, model.value.buckets);
    if (!limits.ok) {
      problems.push({ object: label, field: "spec.local", reason: limits.error });
      continue;
    }
    const name = `${model.value.namespace}/${model.value.name}`;
    out.push({
      namespace: model.value.namespace,
      selector: model.value.selectorLabels,
      policy: localLimit(name, limits.value, {
        enforce: model.value.enforce,
        responseHeaders: model.value.enableResponseHeaders,
      }),
    });
  }
  return out;
}

/**
 * A RateLimit selecting the ingress gateway applies to every route; otherwise to the routes of
 * Services in its namespace whose labels (or selector) include all its `selectorLabels`.
 */
export function selects(
  policy: Pick<NamedPolicy, "namespace" | "selector">,
  service: ServiceEntry | undefined,
): boolean {
  if (policy.selector[GATEWAY_SELECTOR[0]] === GATEWAY_SELECTOR[1]) return true;
  if (service === undefined || service.namespace !== policy.namespace) return false;
  return Object.entries(policy.selector).every(([k, v]) => service.labels[k] === v);
}

function isKubeObject(value: unknown): value is KubeObject {
  return isRecord(value) && typeof value.apiVersion === "string" &&
    typeof value.kind === "string" && isRecord(value.metadata);
}
