/**
 * The objects that carry the webhook CA bundle (docs/spec/certificate.md §5): the APIRule CRD's conversion
 * webhook and every webhook of apigw's two webhook configurations. Reading says what each one
 * trusts now; injecting writes a bundle into one of them. A webhook configuration that does not
 * exist is no target (nothing calls it); a CRD without a conversion client config is an error.
 */
import type { Result } from "../../api/result.ts";
import {
  APIRULE_CRD_NAME,
  MUTATING_WEBHOOK_CONFIGURATION,
  VALIDATING_WEBHOOK_CONFIGURATION,
} from "../../api/webhook_configurations.ts";
import type { KubeClient } from "../../kube/client.ts";
import type { KubeError } from "../../kube/errors.ts";
import { isRecord } from "../../kube/object.ts";
import { getObject, patchObject } from "../../kube/objects.ts";
import { resourceType } from "../../kube/resources.ts";
import { base64, fromBase64 } from "./secret.ts";

export type TargetName = "crd" | "mutating" | "validating";

const REFS = {
  crd: {
    type: resourceType("apiextensions.k8s.io", "CustomResourceDefinition"),
    namespace: "",
    name: APIRULE_CRD_NAME,
  },
  mutating: {
    type: resourceType("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    namespace: "",
    name: MUTATING_WEBHOOK_CONFIGURATION,
  },
  validating: {
    type: resourceType("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    namespace: "",
    name: VALIDATING_WEBHOOK_CONFIGURATION,
  },
} as const;

export interface Targets {
  /** The bundle each existing target trusts now (undefined: none, or its webhooks disagree). */
  injected: Partial<Record<TargetName, string | undefined>>;
  /** Why a target that must exist cannot take a bundle. */
  problems: string[];
  /** Webhook names per configuration, in order, for the patch. */
  webhooks: Partial<Record<TargetName, string[]>>;
}

/** Reads every target. Errors other than a missing webhook configuration fail the read. */
export async function readTargets(
  client: KubeClient,
  signal: AbortSignal,
): Promise<Result<Targets, KubeError>> {
  const targets: Targets = { injected: {}, problems: [], webhooks: {} };
  const crd = await getObject(client, REFS.crd, { signal });
  if (!crd.ok) {
    if (crd.error.reason !== "NotFound") return crd;
    targets.problems.push(`Cannot inject the CA bundle into CRD "${APIRULE_CRD_NAME}": not found`);
  } else {
    const clientConfig = path(crd.value, ["spec", "conversion", "webhook", "clientConfig"]);
    if (!isRecord(clientConfig)) {
      targets.problems.push(
        `Cannot inject the CA bundle into CRD "${APIRULE_CRD_NAME}": ` +
          "it has no conversion webhook client config",
      );
    } else {
      targets.injected.crd = bundleOf(clientConfig.caBundle);
    }
  }
  for (const name of ["mutating", "validating"] as const) {
    const found = await getObject(client, REFS[name], { signal });
    if (!found.ok) {
      if (found.error.reason === "NotFound") continue;
      return found;
    }
    const webhooks = Array.isArray(found.value.webhooks) ? found.value.webhooks : [];
    if (webhooks.length === 0) continue;
    const bundles = new Set(
      webhooks.map((w) => bundleOf(isRecord(w) ? path(w, ["clientConfig", "caBundle"]) : "")),
    );
    targets.injected[name] = bundles.size === 1 ? [...bundles][0] : undefined;
    targets.webhooks[name] = webhooks.map((w) =>
      isRecord(w) && typeof w.name === "string" ? w.name : ""
    );
  }
  return { ok: true, value: targets };
}

/** Writes `bundle` (PEM) into one target. */
export async function inject(
  client: KubeClient,
  target: TargetName,
  bundle: string,
  options: { webhooks: readonly string[]; signal: AbortSignal },
): Promise<Result<void, KubeError>> {
  const caBundle = base64(bundle);
  const result = target === "crd"
    ? await patchObject(client, REFS.crd, {
      spec: { conversion: { webhook: { clientConfig: { caBundle } } } },
    }, { type: "merge", signal: options.signal })
    : await patchObject(
      client,
      REFS[target],
      // Index paths, each guarded by the webhook's name: a configuration edited meanwhile fails
      // the test and is read again, instead of getting the bundle at the wrong webhook.
      options.webhooks.flatMap((name, i) => [
        { op: "test", path: `/webhooks/${i}/name`, value: name },
        { op: "add", path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle },
      ]),
      { type: "json", signal: options.signal },
    );
  return result.ok ? { ok: true, value: undefined } : result;
}

function bundleOf(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  return fromBase64(value);
}

function path(object: unknown, keys: readonly string[]): unknown {
  let current: unknown = object;
  for (const key of keys) current = isRecord(current) ? current[key] : undefined;
  return current;
}
