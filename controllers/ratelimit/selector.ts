/** `spec.selectorLabels` of a RateLimit, read defensively (string values only). */
import type { KubeObject } from "../../api/meta.ts";
import { stringMap } from "../../core/istio/read.ts";
import { at } from "../_events.ts";

export function readSelectorLabels(rateLimit: KubeObject): Record<string, string> {
  return stringMap(at(rateLimit, ["spec", "selectorLabels"]));
}
