/** The values of a v1beta1 → v2 rewrite (core/migrate/rewrite.ts) and its report. */
import type { APIRuleSpecV1beta1 } from "../../api/apirule/v1beta1.ts";
import type { Result } from "../result.ts";

/** The rewrites of the upstream guides, as the report names them. */
export type RewriteName =
  | "metadata"
  | "host"
  | "gateway"
  | "service"
  | "timeout"
  | "corsPolicy"
  | "path"
  | "noAuth"
  | "jwt"
  | "extAuth"
  | "request";

export interface Step {
  /** `spec.rules[i]`, or absent for the APIRule as a whole. */
  rule?: number;
  rewrite: RewriteName;
  detail: string;
}

/** What a generated request is, so an intended difference can name the requests it covers. */
export type RequestTag =
  /** A token of an issuer the v2 rule does not list. */
  | "wrong-issuer"
  /** A path that matched only through an unescaped regex `.`. */
  | "narrowed-dot"
  /** A request decided by an extension provider in v2 (never declared as intended). */
  | "delegated";

export interface IntendedDifference {
  rule: number;
  tag: RequestTag;
  why: string;
}

export interface MigrateOptions {
  /** `--issuer JWKS_URL=ISSUER`: the issuer of tokens signed by the keys at a JWKS URL. */
  issuers: ReadonlyMap<string, string>;
  /** The extension provider `oauth2_introspection`/`cookie_session` rules move to. */
  providerName: string;
  /** Refuse rewrites that need an external authorizer. */
  pureIstio: boolean;
}

export interface Migrated {
  namespace: string;
  name: string;
  /** The v1beta1 spec the rewrite read (the object's, or its `v1beta1-spec` annotation). */
  v1beta1Spec: APIRuleSpecV1beta1;
  v2: Record<string, unknown>;
  steps: Step[];
  intended: IntendedDifference[];
  /**
   * Handler configs of rules moved to `extAuth`, in `--handler-defaults` form, one per rule
   * (Oathkeeper's global config holds one per handler, so rules that differ need their own).
   */
  handlerDefaults: { rule: number; defaults: Record<string, unknown> }[];
}

export interface Refused {
  namespace: string;
  name: string;
  reasons: string[];
}

export type Migration = Result<Migrated, Refused>;

/** The v2 access fields of one rule, with their steps. */
export interface AuthRewrite {
  fields: Record<string, unknown>;
  steps: Step[];
  intended: IntendedDifference[];
  defaults?: Record<string, unknown>;
}
