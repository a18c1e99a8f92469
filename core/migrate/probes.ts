/**
 * The requests the equivalence proof decides with both versions of an APIRule: paths drawn from
 * the v1beta1 regexes and the v2 templates plus edge cases around them, every method, and no
 * token / a valid token / a token without the scopes / a token of another issuer, at every
 * location the rules read. Pure data: the shell (cli/migrate_proof.ts) signs the tokens and
 * decides the requests.
 */
import { HTTP_METHODS } from "../../api/apirule/v2.ts";
import type { RequestTag } from "./rewrite.ts";
import type { Migrated } from "./rewrite.ts";

/** Where a probe carries its token. */
export type ProbeLocation =
  | { kind: "header"; name: string; prefix: string }
  | { kind: "param"; name: string };

/** A token the shell signs with the key it serves at `jwksUri`. */
export interface ProbeToken {
  label: string;
  issuer: string;
  jwksUri: string;
  scopes: readonly string[];
  audiences: readonly string[];
  at: ProbeLocation;
  tags: readonly RequestTag[];
}

export interface Probe {
  method: string;
  /** The request target: path and, for a token in a parameter, the query. */
  path: string;
  token?: ProbeToken;
  tags: readonly RequestTag[];
}

/** An issuer no rule trusts. */
export const FOREIGN_ISSUER = "https://foreign-issuer.invalid";

const BEARER: ProbeLocation = { kind: "header", name: "Authorization", prefix: "Bearer " };
const MULTI_FILLS = ["", "x", "x/y", "a.b/c~d", "%C3%A9/z"];
const ONE_FILLS = ["x", "a.b", "%C3%A9"];

/** Every probe for one migrated APIRule. */
export function probesFor(migrated: Pick<Migrated, "v1beta1Spec" | "v2">): Probe[] {
  const paths = probePaths(migrated);
  const tokens = probeTokens(migrated);
  const probes: Probe[] = [];
  for (const { path, tags } of paths) {
    for (const method of HTTP_METHODS) {
      probes.push({ method, path, tags });
      for (const token of tokens) {
        const target = token.at.kind === "param"
          ? `${path}?${encodeURIComponent(token.at.name)}=TOKEN`
          : path;
        probes.push({ method, path: target, token, tags: [...tags, ...token.tags] });
      }
    }
  }
  return probes;
}

/** The paths: each template filled in several ways, the regexes' literal text, and neighbours. */
export function probePaths(
  migrated: Pick<Migrated, "v1beta1Spec" | "v2">,
): { path: string; tags: RequestTag[] }[] {
  const out = new Map<string, RequestTag[]>();
  const add = (path: string, tags: RequestTag[] = []) => {
    if (path.startsWith("/") && !out.has(path)) out.set(path, tags);
  };
  add("/");
  add("/x");
  for (const rule of migrated.v1beta1Spec.rules) {
    // The regex read as text: its literal parts (`/foo/.*` → `/foo/`).
    add(rule.path.replace(/[\\^$]/g, "").replace(/\.\*$|\[\^\/\]\+/g, ""));
  }
  for (const rule of v2Rules(migrated.v2)) {
    const template = String(rule.path);
    for (const filled of fillTemplate(template)) {
      add(filled);
      add(`${filled}/`);
      add(`${filled}x`);
      add(`${filled}/x`);
      add(filled.toUpperCase());
      const parent = filled.replace(/\/[^/]*\/?$/, "");
      add(parent === "" ? "/" : parent);
      // Where a `.` was a regex dot in v1beta1: the character it no longer matches.
      for (let i = filled.indexOf("."); i !== -1; i = filled.indexOf(".", i + 1)) {
        add(`${filled.slice(0, i)}X${filled.slice(i + 1)}`, ["narrowed-dot"]);
      }
    }
  }
  return [...out].map(([path, tags]) => ({ path, tags }));
}

function fillTemplate(template: string): string[] {
  if (template === "/*") return ["/", "/x", "/x/y"];
  let results = [""];
  for (const part of template.split(/(\{\*\*\}|\{\*\})/)) {
    const fills = part === "{**}" ? MULTI_FILLS : part === "{*}" ? ONE_FILLS : [part];
    results = results.flatMap((r) => fills.map((f) => r + f));
  }
  return results;
}

/** The tokens: per issuer and key, valid with all requirements, without them, foreign. */
export function probeTokens(migrated: Pick<Migrated, "v1beta1Spec" | "v2">): ProbeToken[] {
  const tokens = new Map<string, ProbeToken>();
  const add = (token: ProbeToken) => {
    const key = JSON.stringify([
      token.issuer,
      token.jwksUri,
      token.scopes,
      token.audiences,
      token.at,
    ]);
    if (!tokens.has(key)) tokens.set(key, token);
  };
  const requirements = new Set<string>();
  const keys = new Set<string>();
  const pairs: { issuer: string; jwksUri: string; at: ProbeLocation[] }[] = [];
  for (const rule of v2Rules(migrated.v2)) {
    const jwt = isRecord(rule.jwt) ? rule.jwt : undefined;
    if (jwt === undefined) continue;
    for (const a of listOf(jwt.authentications)) {
      const at = [
        ...listOf(a.fromHeaders).map((h): ProbeLocation => ({
          kind: "header",
          name: String(h.name),
          prefix: typeof h.prefix === "string" ? h.prefix : "",
        })),
        ...(Array.isArray(a.fromParams) ? a.fromParams : []).map((name): ProbeLocation => ({
          kind: "param",
          name: String(name),
        })),
      ];
      pairs.push({
        issuer: String(a.issuer),
        jwksUri: String(a.jwksUri),
        at: at.length === 0 ? [BEARER, { kind: "param", name: "access_token" }] : at,
      });
      keys.add(String(a.jwksUri));
    }
    for (const z of listOf(jwt.authorizations)) {
      requirements.add(JSON.stringify([
        Array.isArray(z.requiredScopes) ? z.requiredScopes : [],
        Array.isArray(z.audiences) ? z.audiences : [],
      ]));
    }
  }
  // The v1beta1 side's keys, so a key the rewrite forgot still signs a probe token.
  for (const rule of migrated.v1beta1Spec.rules) {
    for (const s of rule.accessStrategies) {
      const config = isRecord(s.config) ? s.config : {};
      for (const url of Array.isArray(config.jwks_urls) ? config.jwks_urls : []) {
        if (typeof url === "string" && !keys.has(url)) {
          keys.add(url);
          pairs.push({ issuer: FOREIGN_ISSUER, jwksUri: url, at: [BEARER] });
        }
      }
    }
  }
  const needs = [...requirements].map((r) => JSON.parse(r) as [string[], string[]]);
  const allScopes = [...new Set(needs.flatMap(([s]) => s))];
  const allAudiences = [...new Set(needs.flatMap(([, a]) => a))];
  for (const pair of pairs) {
    for (const at of pair.at) {
      const where = at.kind === "header" ? `header ${at.name}` : `?${at.name}`;
      const base = { issuer: pair.issuer, jwksUri: pair.jwksUri, at };
      const foreign = pair.issuer === FOREIGN_ISSUER;
      add({
        ...base,
        label: `${foreign ? "foreign" : "valid"} token of ${pair.issuer} in ${where}`,
        scopes: allScopes,
        audiences: allAudiences,
        tags: foreign ? ["wrong-issuer"] : [],
      });
      for (const [scopes, audiences] of needs) {
        add({
          ...base,
          label:
            `token of ${pair.issuer} in ${where} with scopes [${scopes}] audiences [${audiences}]`,
          scopes,
          audiences,
          tags: foreign ? ["wrong-issuer"] : [],
        });
      }
      add({
        ...base,
        label: `token of ${pair.issuer} without scopes in ${where}`,
        scopes: [],
        audiences: [],
        tags: foreign ? ["wrong-issuer"] : [],
      });
      add({
        ...base,
        issuer: FOREIGN_ISSUER,
        label: `token of a foreign issuer signed by ${pair.jwksUri} in ${where}`,
        scopes: allScopes,
        audiences: allAudiences,
        tags: ["wrong-issuer"],
      });
    }
  }
  return [...tokens.values()];
}

function v2Rules(v2: Record<string, unknown>): Record<string, unknown>[] {
  const spec = isRecord(v2.spec) ? v2.spec : {};
  return listOf(spec.rules);
}

function listOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
