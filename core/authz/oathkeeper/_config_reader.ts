/**
 * Reading handler configs at load: typed fields with one problem per bad field (never a throw),
 * Go durations, Ory scope strategies, the asymmetric algorithm allow-list and `token_from`.
 */
import { SCOPE_STRATEGIES, type ScopeStrategy } from "./scope.ts";

/** Where an Oathkeeper handler reads its token (`token_from`); default `Authorization: Bearer`. */
export type OryTokenFrom =
  | { kind: "bearer" }
  | { kind: "header"; name: string }
  | { kind: "query"; name: string }
  | { kind: "cookie"; name: string };

/** Reads config fields, collecting one problem per bad field instead of throwing. */
export class ConfigReader {
  readonly problems: string[] = [];
  constructor(private readonly config: Record<string, unknown>, private readonly handler: string) {}

  raw(key: string): unknown {
    return this.config[key];
  }

  problem(key: string, message: string): void {
    this.problems.push(`${this.handler}.config.${key} ${message}`);
  }

  string(key: string): string | undefined {
    const value = this.config[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === "string") return value;
    this.problem(key, "must be a string");
    return undefined;
  }

  boolean(key: string): boolean | undefined {
    const value = this.config[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === "boolean") return value;
    this.problem(key, "must be a boolean");
    return undefined;
  }

  strings(key: string): string[] {
    const value = this.config[key];
    if (value === undefined || value === null) return [];
    if (Array.isArray(value) && value.every((v) => typeof v === "string" && v !== "")) {
      return [...value];
    }
    this.problem(key, "must be a list of non-empty strings");
    return [];
  }

  stringMap(key: string): Record<string, string> {
    const value = this.config[key];
    if (value === undefined || value === null) return {};
    if (isRecord(value) && Object.values(value).every((v) => typeof v === "string")) {
      return { ...value } as Record<string, string>;
    }
    this.problem(key, "must map names to strings");
    return {};
  }

  record(key: string): Record<string, unknown> | undefined {
    const value = this.config[key];
    if (value === undefined || value === null) return undefined;
    if (isRecord(value)) return value;
    this.problem(key, "must be an object");
    return undefined;
  }

  url(key: string, value: string): boolean {
    if (/^https?:\/\/[^/?#\s]+/.test(value)) return true;
    this.problem(key, `"${value}" is not an http(s) URL`);
    return false;
  }

  /** A Go duration (`500ms`, `30s`, `1m`) or milliseconds as a number. */
  duration(key: string, value: unknown): number | undefined {
    if (value === undefined || value === null) return undefined;
    const ms = durationMs(value);
    if (ms === undefined) this.problem(key, "must be a duration such as 500ms or 30s");
    return ms;
  }

  scopeStrategy(): ScopeStrategy {
    const value = this.string("scope_strategy") ?? "exact";
    if (SCOPE_STRATEGIES.includes(value as ScopeStrategy)) return value as ScopeStrategy;
    this.problem("scope_strategy", `must be one of ${SCOPE_STRATEGIES.join(", ")}`);
    return "exact";
  }

  algorithms(): string[] {
    const value = this.strings("allowed_algorithms");
    const allowed = value.length === 0 ? ["RS256"] : value;
    const bad = allowed.filter((a) => !ASYMMETRIC.includes(a));
    if (bad.length > 0) this.problem("allowed_algorithms", `has unsupported "${bad.join(", ")}"`);
    return allowed.filter((a) => ASYMMETRIC.includes(a));
  }

  tokenFrom(): OryTokenFrom {
    const from = this.record("token_from");
    if (from === undefined) return { kind: "bearer" };
    const entries = Object.entries(from).filter(([, v]) => typeof v === "string" && v !== "");
    const [entry] = entries;
    if (entries.length !== 1 || entry === undefined) {
      this.problem("token_from", "needs exactly one of header, query_parameter, cookie");
      return { kind: "bearer" };
    }
    const [where, name] = entry as [string, string];
    if (where === "header") return { kind: "header", name: name.toLowerCase() };
    if (where === "query_parameter") return { kind: "query", name };
    if (where === "cookie") return { kind: "cookie", name };
    this.problem("token_from", `has unknown key "${where}"`);
    return { kind: "bearer" };
  }
}

const ASYMMETRIC = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
];

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a Go-style duration; undefined when it is not one. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value) return undefined;
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNITS[unit!]!, 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
