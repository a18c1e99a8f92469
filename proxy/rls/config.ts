/**
 * envoyproxy/ratelimit's configuration format: one YAML file per domain, each a tree of
 * descriptors (`key`, optional `value`, a trailing `*` making the value a prefix wildcard), with
 * `rate_limit {unit, requests_per_unit, unlimited, name, replaces}`, `shadow_mode` and
 * `detailed_metric`. Parsed once per reload into an immutable tree; every problem is reported,
 * naming the file and the descriptor path, as envoyproxy/ratelimit rejects them.
 * https://github.com/envoyproxy/ratelimit#configuration
 */
import { parse } from "yaml";

/** The window units of `RateLimitResponse.RateLimit.Unit`, with their length in seconds. */
export const UNIT_SECONDS = {
  SECOND: 1,
  MINUTE: 60,
  HOUR: 3_600,
  DAY: 86_400,
  WEEK: 604_800,
  MONTH: 2_592_000,
  YEAR: 31_536_000,
} as const;

export type RlsUnit = keyof typeof UNIT_SECONDS;

export interface RlsLimit {
  readonly requestsPerUnit: number;
  readonly unit: RlsUnit;
  readonly unlimited: boolean;
  readonly shadowMode: boolean;
  /** An over-limit answer is reported on the descriptor but never decides the request. */
  readonly quotaMode: boolean;
  /** `rate_limit.name`, what other limits' `replaces` refer to ("" when unnamed). */
  readonly name: string;
  readonly replaces: readonly string[];
  readonly detailedMetric: boolean;
  /** `domain.key_value.key` path of the descriptor, for logs and metrics. */
  readonly fullKey: string;
}

export interface DescriptorNode {
  /** Children by `key` or `key_value` (the wildcard ones keep their trailing `*`). */
  readonly children: ReadonlyMap<string, DescriptorNode>;
  /** The children keys ending in `*`, in file order: the first prefix that matches wins. */
  readonly wildcardKeys: readonly string[];
  readonly limit?: RlsLimit;
}

export interface RlsConfig {
  readonly domains: ReadonlyMap<string, DescriptorNode>;
}

export interface ConfigFile {
  readonly name: string;
  readonly text: string;
}

export type ConfigResult = { ok: true; value: RlsConfig } | { ok: false; error: string[] };

const VALID_KEYS = new Set([
  "domain",
  "key",
  "value",
  "descriptors",
  "rate_limit",
  "unit",
  "requests_per_unit",
  "unlimited",
  "shadow_mode",
  "quota_mode",
  "name",
  "replaces",
  "detailed_metric",
  "value_to_metric",
  "share_threshold",
]);

/** Every file's domain, or every problem of every file. */
export function parseRlsConfig(files: readonly ConfigFile[]): ConfigResult {
  const problems: string[] = [];
  const domains = new Map<string, DescriptorNode>();
  for (const file of files) {
    let root: unknown;
    try {
      root = parse(file.text, { uniqueKeys: true, maxAliasCount: 100 });
    } catch (error) {
      problems.push(`${file.name}: cannot parse YAML: ${String(error)}`);
      continue;
    }
    const before = problems.length;
    checkKeys(root, file.name, "", problems);
    if (problems.length > before) continue;
    if (!isRecord(root) || typeof root.domain !== "string" || root.domain === "") {
      problems.push(`${file.name}: config file cannot have empty domain`);
      continue;
    }
    if (domains.has(root.domain)) {
      problems.push(`${file.name}: duplicate domain "${root.domain}" in config file`);
      continue;
    }
    const node = descriptors(root.descriptors, {
      file: file.name,
      parent: `${root.domain}.`,
      problems,
    });
    domains.set(root.domain, node);
  }
  return problems.length > 0 ? { ok: false, error: problems } : { ok: true, value: { domains } };
}

interface Context {
  file: string;
  parent: string;
  problems: string[];
}

function descriptors(raw: unknown, context: Context): DescriptorNode {
  const children = new Map<string, DescriptorNode>();
  const wildcardKeys: string[] = [];
  const list = raw === undefined || raw === null ? [] : raw;
  if (!Array.isArray(list)) {
    context.problems.push(`${context.file}: ${context.parent}descriptors must be a list`);
    return { children, wildcardKeys };
  }
  for (const item of list) {
    const where = `${context.file}: ${context.parent}`;
    if (!isRecord(item) || typeof item.key !== "string" || item.key === "") {
      context.problems.push(`${where}: descriptor has empty key`);
      continue;
    }
    const value = item.value === undefined || item.value === null ? "" : String(item.value);
    const finalKey = value === "" ? item.key : `${item.key}_${value}`;
    const path = `${context.parent}${finalKey}`;
    if (children.has(finalKey)) {
      context.problems.push(`${context.file}: duplicate descriptor composite key "${path}"`);
      continue;
    }
    const limit = item.rate_limit === undefined || item.rate_limit === null
      ? undefined
      : rateLimit(item.rate_limit, item, { ...context, parent: path });
    if (item.share_threshold === true) {
      // One counter shared by every value of a wildcard: not implemented (docs/rls.md).
      context.problems.push(
        `${context.file}: share_threshold is not supported, found at "${path}"`,
      );
    }
    if (finalKey.endsWith("*")) wildcardKeys.push(finalKey);
    const nested = descriptors(item.descriptors, { ...context, parent: `${path}.` });
    children.set(finalKey, { ...nested, ...(limit !== undefined ? { limit } : {}) });
  }
  return { children, wildcardKeys };
}

function rateLimit(
  raw: unknown,
  descriptor: Record<string, unknown>,
  context: Context,
): RlsLimit | undefined {
  const where = `${context.file}: ${context.parent}`;
  if (!isRecord(raw)) {
    context.problems.push(`${where}: rate_limit must be a map`);
    return undefined;
  }
  const unlimited = raw.unlimited === true;
  const unitText = typeof raw.unit === "string" ? raw.unit.toUpperCase() : "";
  const unit = isUnit(unitText) ? unitText : undefined;
  if (unlimited && unit !== undefined) {
    context.problems.push(`${where}: should not specify rate limit unit when unlimited`);
    return undefined;
  }
  if (!unlimited && unit === undefined) {
    context.problems.push(`${where}: invalid rate limit unit "${String(raw.unit ?? "")}"`);
    return undefined;
  }
  const perUnit = raw.requests_per_unit ?? 0;
  if (
    typeof perUnit !== "number" || !Number.isInteger(perUnit) || perUnit < 0 ||
    perUnit > 2 ** 32 - 1
  ) {
    context.problems.push(`${where}: requests_per_unit must be an integer from 0 to 4294967295`);
    return undefined;
  }
  const name = typeof raw.name === "string" ? raw.name : "";
  const replaces: string[] = [];
  for (const entry of Array.isArray(raw.replaces) ? raw.replaces : []) {
    const replaced = isRecord(entry) && typeof entry.name === "string" ? entry.name : "";
    if (replaced === "") {
      context.problems.push(`${where}: should not have an empty replaces entry`);
    } else if (replaced === name) {
      context.problems.push(`${where}: replaces should not contain name of same descriptor`);
    } else replaces.push(replaced);
  }
  return {
    requestsPerUnit: perUnit,
    unit: unit ?? "SECOND",
    unlimited,
    shadowMode: descriptor.shadow_mode === true,
    quotaMode: descriptor.quota_mode === true,
    name,
    replaces,
    detailedMetric: descriptor.detailed_metric === true,
    fullKey: context.parent,
  };
}

/** envoyproxy/ratelimit refuses unknown keys anywhere in a file (typos must not pass silently). */
function checkKeys(value: unknown, file: string, path: string, problems: string[]): void {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      if (!isRecord(item)) {
        problems.push(`${file}: ${path}[${i}] must be a map`);
      } else checkKeys(item, file, `${path}[${i}]`, problems);
    }
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const at = path === "" ? key : `${path}.${key}`;
    if (!VALID_KEYS.has(key)) problems.push(`${file}: unknown key "${at}"`);
    else checkKeys(child, file, at, problems);
  }
}

function isUnit(text: string): text is RlsUnit {
  return Object.hasOwn(UNIT_SECONDS, text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
