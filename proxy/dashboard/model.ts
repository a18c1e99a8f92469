/**
 * What the dashboard shows, as plain rows built from the serving config: the routes (host, path,
 * methods, auth, upstream, limits) and the last reload with the objects it refused. Everything
 * shown is a name, a number or a reason passed through `redactText`; rule configs (introspection
 * credentials, header values) and Secret objects are never read into a row.
 */
import type { PolicyIndex } from "../../core/authz/policy_index.ts";
import type { CompiledRule } from "../../core/authz/rule.ts";
import type { LocalBucket, LocalLimit } from "../ratelimit/local.ts";
import { type LimitedRequest, selectBucket } from "../../core/ratelimit/global.ts";
import { redactText } from "../../lib/dashboard_http.ts";

export { redactText };

export interface RouteRow {
  rule: string;
  host: string;
  path: string;
  methods: readonly string[];
  auth: string;
  /** `service (origin)` for `apigw serve`; absent for `apigw authz` (Envoy routes). */
  upstream?: string;
  limits: readonly string[];
}

/** One object a load did not serve, or why a snapshot could not be read. */
export interface RefusedObject {
  object: string;
  field?: string;
  reason: string;
}

export interface ReloadRecord {
  /** Wall clock, ms. */
  at: number;
  outcome: "ok" | "rejected";
  /** Routes served after the load (the previous ones when rejected). */
  routes: number;
  refused: readonly RefusedObject[];
}

/** What a route adds to its rule: upstream and limits (`apigw serve`). */
export interface RouteExtras {
  upstream: string;
  limits: readonly string[];
}

/** The rows of every rule in match order, host by host. */
export function routeRows(
  index: PolicyIndex,
  extras?: (rule: CompiledRule) => RouteExtras | undefined,
): RouteRow[] {
  const rows: RouteRow[] = [];
  for (const [host, rules] of [...index.hosts].sort(([a], [b]) => a.localeCompare(b))) {
    for (const rule of rules) {
      const extra = extras?.(rule);
      rows.push({
        rule: rule.id,
        host,
        path: rule.path,
        methods: rule.methods,
        auth: describeAuth(rule),
        ...(extra !== undefined ? { upstream: extra.upstream } : {}),
        limits: extra?.limits ?? [],
      });
    }
  }
  return rows;
}

/** The kind of authentication and the names that identify it (issuers, handlers). */
export function describeAuth(rule: CompiledRule): string {
  const { auth } = rule;
  switch (auth.kind) {
    case "noAuth":
      return "noAuth";
    case "jwt":
      return `jwt (${auth.jwt.authentications.map((a) => a.issuer).join(", ")})`;
    case "extAuth":
      return `extAuth (${auth.authorizers.join(", ")}${auth.served ? "" : "; not served here"})`;
    case "accessStrategies":
      return `v1beta1: ${auth.strategies.map((s) => strategyName(s)).join(", ")}${
        auth.mutators.length > 0 ? `; mutators ${auth.mutators.map((m) => m.kind).join(", ")}` : ""
      }`;
  }
}

function strategyName(strategy: { kind: string; handler?: string }): string {
  return strategy.kind === "allow" && strategy.handler !== undefined
    ? strategy.handler
    : strategy.kind;
}

/** `namespace/name: 3 per 1m (/limited)`, one per bucket of each local limit. */
export function describeLocalLimit(limit: LocalLimit): string[] {
  return [limit.defaultBucket, ...limit.buckets].map((b) => describeBucket(limit, b));
}

/** One bucket of a local limit: `namespace/name /path: 3 max, +1/1m`. */
export function describeBucket(limit: LocalLimit, b: LocalBucket): string {
  const every = b.bucket.fillIntervalMs % 60_000 === 0
    ? `${b.bucket.fillIntervalMs / 60_000}m`
    : b.bucket.fillIntervalMs % 1_000 === 0
    ? `${b.bucket.fillIntervalMs / 1_000}s`
    : `${b.bucket.fillIntervalMs}ms`;
  const where = b.path !== undefined ? ` ${b.path}` : b.name === "default" ? " default" : "";
  return `${limit.name}${where}: ${b.bucket.maxTokens} max, +${b.bucket.tokensPerFill}/${every}${
    limit.enforce ? "" : " (shadow)"
  }`;
}

/** The bucket of each limit a request would draw from, described (nothing is taken). */
export function drawnBuckets(
  limits: readonly LocalLimit[],
  request: LimitedRequest,
): string[] {
  return limits.map((limit) => describeBucket(limit, selectBucket(limit, request)));
}

/** The record with every refused object's name and reason redacted. */
export function redactReload(record: ReloadRecord | undefined): ReloadRecord | undefined {
  if (record === undefined) return undefined;
  return {
    ...record,
    refused: record.refused.map((p) => ({
      ...p,
      object: redactText(p.object),
      reason: redactText(p.reason),
    })),
  };
}
