/**
 * Desired objects matched against the APIRule's actual objects (docs/spec/apirule-v2.md §12): which are
 * updated in place (keeping the actual name and annotations), created, or deleted.
 */
import type { KubeObject } from "../../api/meta.ts";
import type { AuthorizationPolicy, RequestAuthentication, VirtualService } from "../istio/types.ts";
import { HASH_LABEL, INDEX_LABEL } from "./labels.ts";
import { requestAuthenticationKey } from "./request_authentications.ts";

export interface Changes {
  apply: KubeObject[];
  delete: KubeObject[];
}

/**
 * The first actual VirtualService is updated; any further owned ones are deleted (upstream
 * leaves them in place, defect D5).
 */
export function virtualServiceChanges(
  desired: VirtualService,
  actual: readonly KubeObject[],
): Changes {
  const [first, ...extra] = actual;
  return { apply: [first === undefined ? desired : updated(desired, first)], delete: extra };
}

/** Policies are matched by `<hash>:<index>`; unlabelled actual policies are deleted. */
export function authorizationPolicyChanges(
  desired: readonly AuthorizationPolicy[],
  actual: readonly KubeObject[],
): Changes {
  return matchByKey(desired, actual, (o) => {
    const labels = o.metadata.labels ?? {};
    const hash = labels[HASH_LABEL];
    const index = labels[INDEX_LABEL];
    return hash === undefined || index === undefined ? undefined : `${hash}:${index}`;
  });
}

/** RequestAuthentications are matched by selector, issuer/JWKS list and namespace. */
export function requestAuthenticationChanges(
  desired: readonly RequestAuthentication[],
  actual: readonly KubeObject[],
): Changes {
  return matchByKey(desired, actual, (o) => {
    const spec = o.spec;
    if (!isRecord(spec)) return undefined;
    const selector = isRecord(spec.selector) && isRecord(spec.selector.matchLabels)
      ? stringRecord(spec.selector.matchLabels)
      : {};
    const rules = Array.isArray(spec.jwtRules) ? spec.jwtRules.filter(isRecord) : [];
    const authentications = rules.map((r) => ({
      issuer: typeof r.issuer === "string" ? r.issuer : "",
      jwksUri: typeof r.jwksUri === "string" ? r.jwksUri : "",
    }));
    return requestAuthenticationKey(o.metadata.namespace ?? "", selector, authentications);
  });
}

/** Matches desired and actual objects by a key: same key updates, the rest is created or deleted. */
export function matchByKey(
  desired: readonly KubeObject[],
  actual: readonly KubeObject[],
  keyOf: (o: KubeObject) => string | undefined,
): Changes {
  const actualByKey = new Map<string, KubeObject>();
  const remove: KubeObject[] = [];
  for (const object of actual) {
    const key = keyOf(object);
    if (key === undefined || actualByKey.has(key)) remove.push(object);
    else actualByKey.set(key, object);
  }
  const apply: KubeObject[] = [];
  const used = new Set<string>();
  for (const object of desired) {
    const key = keyOf(object);
    if (key === undefined || used.has(key)) continue; // equal keys collapse into one
    used.add(key);
    const existing = actualByKey.get(key);
    apply.push(existing === undefined ? object : updated(object, existing));
  }
  for (const [key, object] of actualByKey) if (!used.has(key)) remove.push(object);
  return { apply, delete: remove };
}

/** The desired object addressed by the actual one's name, keeping its annotations. */
function updated<T extends KubeObject>(desired: T, actual: KubeObject): T {
  const { generateName: _, ...metadata } = desired.metadata;
  return {
    ...desired,
    metadata: {
      ...metadata,
      ...(actual.metadata.name !== undefined ? { name: actual.metadata.name } : {}),
      ...(actual.metadata.namespace !== undefined ? { namespace: actual.metadata.namespace } : {}),
      ...(actual.metadata.annotations !== undefined
        ? { annotations: actual.metadata.annotations }
        : {}),
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringRecord(value: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}
