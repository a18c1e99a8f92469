/**
 * The `gateway.kyma-project.io/hash` label of an AuthorizationPolicy (docs/spec/apirule-v2.md §12.2): a
 * digest of what identifies a policy across reconciles — its namespace, its selector and its
 * operation (each list compared as a set) — but not `from`/`when`, so changing who may call
 * updates a policy in place. Three FNV-1a 64 digests in base 36, like upstream's three segments.
 */
import type { Operation } from "../istio/types.ts";

/** The hash label value for a policy. */
export function policyHash(
  namespace: string,
  selector: Readonly<Record<string, string>>,
  operation: Operation,
): string {
  const labels = Object.entries(selector).map(([k, v]) => `${k}=${v}`).sort();
  const to = [operation.hosts ?? [], operation.methods, operation.paths, operation.notPaths ?? []]
    .map((list) => [...new Set(list)].sort().join(","));
  return [fnv1a64(namespace), fnv1a64(labels.join(",")), fnv1a64(to.join("|"))].join(".");
}

const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/** FNV-1a 64 of the UTF-8 bytes of `text`, in base 36. */
export function fnv1a64(text: string): string {
  let hash = OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash = ((hash ^ BigInt(byte)) * PRIME) & MASK;
  }
  return hash.toString(36);
}
