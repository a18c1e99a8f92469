/**
 * The dashboard's explain form as a dry run: one request through the same canonicalisation,
 * policy index and pipeline as the serving config, like `apigw explain`, but offline. No
 * rate-limit step runs (no token is taken; the route's limits are only named) and every remote
 * call (JWKS, OpenID discovery, introspection, session checks) is refused before it leaves the
 * process, so a token is never sent anywhere and its signature cannot be checked here.
 */
import type { Result } from "../../config.ts";
import { type CanonicalOptions, canonicalRequest } from "../../core/authz/canonical.ts";
import { deny } from "../../core/authz/decision.ts";
import type { PolicyIndex } from "../../core/authz/policy_index.ts";
import type { CompiledRule } from "../../core/authz/rule.ts";
import type { LimitedRequest } from "../../core/ratelimit/global.ts";
import { createJwksManager } from "../jwt/jwks.ts";
import { createTokenCache } from "../jwt/token_cache.ts";
import { createVerifier } from "../jwt/verifier.ts";
import { createEngine } from "../oathkeeper/wiring.ts";
import { decide, type Outcome, type PipelineOptions } from "../pipeline.ts";
import { redactText } from "./model.ts";

export interface ExplainInput {
  method: string;
  /** `http(s)://host/path?query` */
  url: string;
  /** `Name: value` lines. */
  headers: string;
}

/** What the form shows: names and sizes of what was sent, never values that may be secret. */
export interface ExplainReport {
  request: { method: string; host: string; path: string; queryParameters: string[] } | undefined;
  headers: { name: string; bytes: number }[];
  rule: string | undefined;
  allow: boolean;
  status: number;
  step: string;
  reason: string;
  detail: string | undefined;
  /** The local limits the request would draw from (not taken). */
  limits: readonly string[];
}

export interface DryRun {
  explain(input: ExplainInput): Promise<Result<ExplainReport, string>>;
  /** Remote calls refused so far (tests). */
  refusedCalls(): number;
  close(): Promise<void>;
}

export interface DryRunDeps {
  index(): PolicyIndex;
  canonical: CanonicalOptions;
  pipeline: PipelineOptions;
  /** The local buckets the request would draw from on the matched rule's route, described. */
  limitsOf?: (rule: CompiledRule, request: LimitedRequest) => readonly string[];
}

const MAX_HEADER_LINES = 50;

export function createDryRun(deps: DryRunDeps): DryRun {
  let refused = 0;
  const offline: typeof fetch = (input) => {
    refused++;
    const url = input instanceof Request ? input.url : String(input);
    return Promise.reject(new Error(`dry run: not calling ${new URL(url).origin}`));
  };
  const jwks = createJwksManager({ fetch: offline, timeoutMs: 1_000 });
  const verifier = createVerifier({ jwks, cache: createTokenCache(0) });
  const engine = createEngine({ jwks, verifier, fetch: offline, cacheEntries: 0 }).engine;
  return {
    async explain(input) {
      const target = parseTarget(input.method, input.url);
      if (!target.ok) return target;
      const headers = parseHeaderLines(input.headers);
      if (!headers.ok) return headers;
      headers.value.set("host", target.value.host);
      const canonical = canonicalRequest(target.value, deps.canonical);
      let outcome: Outcome;
      if (!canonical.ok) {
        const { status, reason, detail } = canonical.error;
        outcome = { decision: deny("normalize", status, reason, { detail }) };
      } else {
        outcome = await decide({ request: canonical.value, headers: headers.value }, {
          index: deps.index(),
          verifier,
          options: deps.pipeline,
          accessStrategies: engine,
        }, { at: performance.now() + 2_000 });
      }
      const { decision } = outcome;
      const request = canonical.ok ? canonical.value : undefined;
      return {
        ok: true,
        value: {
          request: request === undefined ? undefined : {
            method: request.method,
            host: request.host,
            path: request.path,
            queryParameters: queryNames(request.query),
          },
          headers: [...headers.value].filter(([name]) => name !== "host").map(([name, value]) => ({
            name,
            bytes: value.length,
          })),
          rule: outcome.rule?.id,
          allow: decision.allow,
          status: decision.allow ? 200 : decision.status,
          step: decision.step,
          reason: decision.reason,
          detail: decision.allow || decision.detail === undefined
            ? undefined
            : redactText(decision.detail),
          limits: outcome.rule !== undefined && request !== undefined
            ? deps.limitsOf?.(outcome.rule, { ...request, headers: headers.value, peer: "" }) ?? []
            : [],
        },
      };
    },
    refusedCalls: () => refused,
    close: () => jwks.close(),
  };
}

function parseTarget(
  method: string,
  url: string,
): Result<{ method: string; host: string; target: string }, string> {
  const match = /^https?:\/\/([^/?#\s]+)([^#\s]*)$/.exec(url.trim());
  if (match === null) return { ok: false, error: "URL must be http(s)://host/path" };
  const rest = match[2]!;
  const target = rest === "" ? "/" : rest.startsWith("?") ? `/${rest}` : rest;
  return { ok: true, value: { method: method.trim(), host: match[1]!, target } };
}

function parseHeaderLines(text: string): Result<Headers, string> {
  const headers = new Headers();
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length > MAX_HEADER_LINES) {
    return { ok: false, error: `At most ${MAX_HEADER_LINES} header lines` };
  }
  for (const [i, line] of lines.entries()) {
    const colon = line.indexOf(":");
    try {
      if (colon <= 0) throw new TypeError("no name");
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      // The line itself may hold a credential: name it by number only.
      return { ok: false, error: `Header line ${i + 1} is not 'Name: value'` };
    }
  }
  return { ok: true, value: headers };
}

function queryNames(query: string): string[] {
  if (query === "") return [];
  return [...new URLSearchParams(query).keys()].map((name) => redactText(name));
}
