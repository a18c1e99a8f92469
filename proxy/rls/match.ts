/**
 * Which configured limit applies to one request descriptor, as envoyproxy/ratelimit's
 * `GetLimit` walks the tree: per entry the exact `key_value`, else the first wildcard
 * `key_prefix*` of that level, else the bare `key`; the limit counts only when found at the
 * descriptor's last entry. A descriptor carrying its own `limit` uses that (never shadowed).
 */
import type { DescriptorNode, RlsConfig, RlsLimit, RlsUnit } from "./config.ts";

export interface DescriptorEntry {
  readonly key: string;
  readonly value: string;
}

export interface RequestDescriptor {
  readonly entries: readonly DescriptorEntry[];
  /** The override limit Envoy may send with the descriptor. */
  readonly limit?: { readonly requestsPerUnit: number; readonly unit: RlsUnit };
}

/** The limit for `descriptor` in `domain`, or undefined when none applies. */
export function limitFor(
  config: RlsConfig,
  domain: string,
  descriptor: RequestDescriptor,
): RlsLimit | undefined {
  const root = config.domains.get(domain);
  if (root === undefined) return undefined;
  if (descriptor.limit !== undefined) {
    return {
      requestsPerUnit: descriptor.limit.requestsPerUnit,
      unit: descriptor.limit.unit,
      unlimited: false,
      shadowMode: false,
      quotaMode: false,
      name: "",
      replaces: [],
      detailedMetric: false,
      fullKey: `${domain}.${descriptor.entries.map(finalKeyOf).join(".")}`,
    };
  }
  let level: DescriptorNode = root;
  let found: RlsLimit | undefined;
  for (const [i, entry] of descriptor.entries.entries()) {
    const next = childFor(level, entry);
    if (next?.limit !== undefined && i === descriptor.entries.length - 1) found = next.limit;
    if (next === undefined || next.children.size === 0) break;
    level = next;
  }
  return found;
}

function childFor(level: DescriptorNode, entry: DescriptorEntry): DescriptorNode | undefined {
  const finalKey = `${entry.key}_${entry.value}`;
  const exact = level.children.get(finalKey);
  if (exact !== undefined) return exact;
  for (const wildcard of level.wildcardKeys) {
    if (finalKey.startsWith(wildcard.slice(0, -1))) return level.children.get(wildcard);
  }
  return level.children.get(entry.key);
}

function finalKeyOf(entry: DescriptorEntry): string {
  return entry.value === "" ? entry.key : `${entry.key}_${entry.value}`;
}
