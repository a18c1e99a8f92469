/**
 * What one extra bucket matches, as Envoy descriptor entries (docs/spec/ratelimit.md §4.4): the path first,
 * then the headers in ascending byte order of their names (upstream: Go map order, i.e. random).
 */
import { compareNames } from "./_json.ts";

export interface DescriptorEntry {
  key: string;
  value: string;
}

/** The keys Envoy reads from HTTP/2 pseudo headers (`:path`, `:method`, `:scheme`). */
const PSEUDO_HEADER_KEYS: ReadonlySet<string> = new Set(["path", "method", "scheme"]);

/** The descriptor entries of a bucket; an empty `path` adds none. */
export function descriptorEntries(
  path: string | undefined,
  headers: Readonly<Record<string, string>> | undefined,
): DescriptorEntry[] {
  const entries: DescriptorEntry[] = [];
  if (path !== undefined && path !== "") entries.push({ key: "path", value: path });
  const names = Object.keys(headers ?? {}).sort(compareNames);
  for (const name of names) entries.push({ key: name, value: headers?.[name] ?? "" });
  return entries;
}

/** The request header a descriptor key is read from: `path` → `:path`, others verbatim. */
export function headerNameFor(key: string): string {
  return PSEUDO_HEADER_KEYS.has(key) ? `:${key}` : key;
}
