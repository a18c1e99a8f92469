/**
 * The equivalence proof of `apigw migrate`: each probe (core/migrate/probes.ts) is decided by
 * the v1beta1 access-strategy engine over the original APIRule and by the v2 pipeline over the
 * rewritten one — the same `decide()`, policy index and verifiers `apigw authz` runs — and
 * every difference is listed, intended (declared by the rewrite) or not.
 *
 * The proof is its own identity provider: it signs the probe tokens with one RS256 key per JWKS
 * URL and answers the verifiers' JWKS fetches with those keys, so no network is used. Endpoints
 * it cannot stand in for (introspection, session checks) answer 503.
 */
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { canonicalRequest, DEFAULT_CANONICAL_OPTIONS } from "../core/authz/canonical.ts";
import type { Decision } from "../core/authz/decision.ts";
import { type CompiledIndex, compilePolicyIndex } from "../core/authz/policy_index.ts";
import type { Migrated, RequestTag } from "../core/migrate/rewrite.ts";
import type { HandlerDefaults } from "../core/authz/oathkeeper/strategies.ts";
import { type Probe, probesFor, type ProbeToken } from "../core/migrate/probes.ts";
import { createJwksManager } from "../proxy/jwt/jwks.ts";
import { createTokenCache } from "../proxy/jwt/token_cache.ts";
import { createVerifier } from "../proxy/jwt/verifier.ts";
import { createEngine } from "../proxy/oathkeeper/wiring.ts";
import { decide, DEFAULT_PIPELINE_OPTIONS, type Outcome } from "../proxy/pipeline.ts";

export type DifferenceKind = "opened" | "closed" | "status";

export interface Difference {
  method: string;
  host: string;
  path: string;
  token: string;
  v1beta1: string;
  v2: string;
  kind: DifferenceKind;
  /** Why the rewrite means it; absent for an unintended difference. */
  intended?: string;
}

export interface Proof {
  compared: number;
  differences: Difference[];
  /** Why a version could not be (fully) compiled, e.g. a handler needing its defaults. */
  problems: string[];
}

/** The domain short hosts take in the proof (both versions resolve them alike). */
export const PROOF_DOMAIN = "local.kyma.dev";

/**
 * Decides every probe (by default, those of core/migrate/probes.ts) with both versions and lists
 * the differences.
 */
export async function proveMigration(
  migrated: Migrated,
  options: { probes?: readonly Probe[]; handlerDefaults?: HandlerDefaults } = {},
): Promise<Proof> {
  const probes = options.probes ?? probesFor(migrated);
  const defaults = options.handlerDefaults;
  const issuers = await keysFor(probes);
  const host = migrated.v1beta1Spec.host.includes(".")
    ? migrated.v1beta1Spec.host.toLowerCase()
    : `${migrated.v1beta1Spec.host}.${PROOF_DOMAIN}`;
  const gateways = gatewaysFor(migrated);
  const v1 = indexOf([...gateways, v1beta1Object(migrated)], defaults);
  const v2 = indexOf([...gateways, migrated.v2], defaults);
  const problems = [
    ...v1.problems.map((p) => `v1beta1: ${p.message}`),
    ...v2.problems.map((p) => `v2: ${p.message}`),
  ];
  const jwks = createJwksManager({ fetch: issuers.fetch, timeoutMs: 2_000 });
  try {
    const verifier = createVerifier({ jwks, cache: createTokenCache(10_000) });
    const { engine } = createEngine({ jwks, verifier, fetch: issuers.fetch });
    const differences: Difference[] = [];
    for (const probe of probes) {
      const signed = probe.token === undefined ? undefined : await issuers.sign(probe.token);
      const headers = new Headers({ host });
      let target = probe.path;
      if (probe.token !== undefined && signed !== undefined) {
        if (probe.token.at.kind === "header") {
          headers.set(probe.token.at.name, `${probe.token.at.prefix}${signed}`);
        } else target = target.replace("=TOKEN", `=${signed}`);
      }
      const canonical = canonicalRequest(
        { method: probe.method, target, host },
        DEFAULT_CANONICAL_OPTIONS,
      );
      if (!canonical.ok) continue;
      const input = { request: canonical.value, headers };
      const deadline = { at: performance.now() + 5_000 };
      const before = await decide(input, {
        index: v1.index,
        verifier,
        options: DEFAULT_PIPELINE_OPTIONS,
        accessStrategies: engine,
      }, deadline);
      const after = await decide(input, {
        index: v2.index,
        verifier,
        options: DEFAULT_PIPELINE_OPTIONS,
      }, deadline);
      const kind = differenceOf(before.decision, after.decision);
      if (kind === undefined) continue;
      const why = intendedWhy(migrated, probe, before, after);
      differences.push({
        method: probe.method,
        host,
        path: probe.path.replace(/=TOKEN$/, "=(token)"),
        token: probe.token?.label ?? "no token",
        v1beta1: describe(before.decision),
        v2: describe(after.decision),
        kind,
        ...(why !== undefined ? { intended: why } : {}),
      });
    }
    return { compared: probes.length, differences, problems };
  } finally {
    await jwks.close();
  }
}

function differenceOf(before: Decision, after: Decision): DifferenceKind | undefined {
  if (before.allow && after.allow) return undefined;
  if (!before.allow && after.allow) return "opened";
  if (before.allow && !after.allow) return "closed";
  return !before.allow && !after.allow && before.status !== after.status ? "status" : undefined;
}

/** The rewrite's declared reason for a difference on this probe, if it declared one. */
function intendedWhy(
  migrated: Migrated,
  probe: Probe,
  before: Outcome,
  after: Outcome,
): string | undefined {
  const rules = new Set([before.rule?.index, after.rule?.index].filter((i) => i !== undefined));
  const tags: RequestTag[] = [...probe.tags];
  if (after.rule?.auth.kind === "extAuth") tags.push("delegated");
  const found = migrated.intended.find((d) => rules.has(d.rule) && tags.includes(d.tag));
  return found?.why;
}

function describe(decision: Decision): string {
  return decision.allow ? `allow (${decision.reason})` : `${decision.status} ${decision.reason}`;
}

function indexOf(objects: unknown[], handlerDefaults: HandlerDefaults | undefined): CompiledIndex {
  return compilePolicyIndex(objects, {
    providerName: "apigw-authz",
    ...(handlerDefaults !== undefined ? { handlerDefaults } : {}),
  });
}

function v1beta1Object(migrated: Migrated): Record<string, unknown> {
  return {
    apiVersion: "gateway.kyma-project.io/v1beta1",
    kind: "APIRule",
    metadata: { name: migrated.name, namespace: migrated.namespace },
    spec: migrated.v1beta1Spec,
  };
}

/** The default Kyma gateway and the one the v2 APIRule names, both serving `*.PROOF_DOMAIN`. */
function gatewaysFor(migrated: Migrated): Record<string, unknown>[] {
  const spec = migrated.v2.spec as { gateway?: string };
  const names = new Set(["kyma-system/kyma-gateway", spec.gateway ?? "kyma-system/kyma-gateway"]);
  return [...names].map((ref) => {
    const [namespace, name] = ref.split("/");
    return {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { namespace, name },
      spec: {
        selector: { app: "istio-ingressgateway" },
        servers: [{
          hosts: [`*.${PROOF_DOMAIN}`],
          port: { number: 443, name: "https", protocol: "HTTPS" },
        }],
      },
    };
  });
}

interface ProofIssuers {
  fetch: typeof fetch;
  sign(token: ProbeToken): Promise<string>;
}

/** One RS256 key per JWKS URL of the probes, served by `fetch`, signing by `sign`. */
async function keysFor(probes: readonly Probe[]): Promise<ProofIssuers> {
  const uris = [...new Set(probes.flatMap((p) => p.token === undefined ? [] : [p.token.jwksUri]))];
  const keys = new Map<
    string,
    { privateKey: Parameters<SignJWT["sign"]>[0]; jwk: Record<string, unknown> }
  >();
  for (const [i, uri] of uris.entries()) {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    keys.set(uri, {
      privateKey,
      jwk: { ...(await exportJWK(publicKey)), kid: `proof-${i}`, alg: "RS256", use: "sig" },
    });
  }
  const signed = new Map<string, string>();
  const now = Math.floor(Date.now() / 1000);
  return {
    fetch: (input: RequestInfo | URL) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      const key = keys.get(url);
      return Promise.resolve(
        key === undefined
          ? new Response("not served by the proof", { status: 503 })
          : Response.json({ keys: [key.jwk] }),
      );
    },
    async sign(token) {
      const cacheKey = JSON.stringify(token);
      const known = signed.get(cacheKey);
      if (known !== undefined) return known;
      const key = keys.get(token.jwksUri)!;
      const jwt = await new SignJWT({
        ...(token.scopes.length > 0 ? { scp: [...token.scopes] } : {}),
        ...(token.audiences.length > 0 ? { aud: [...token.audiences] } : {}),
      })
        .setProtectedHeader({ alg: "RS256", kid: String(key.jwk.kid), typ: "JWT" })
        .setIssuer(token.issuer)
        .setSubject("migrate-proof")
        .setIssuedAt(now)
        .setExpirationTime(now + 3_600)
        .sign(key.privateKey);
      signed.set(cacheKey, jwt);
      return jwt;
    },
  };
}
