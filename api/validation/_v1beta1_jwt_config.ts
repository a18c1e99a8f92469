/**
 * APIRule v1beta1 `jwt` configs decoded the way upstream's Go types do: the Ory dialect
 * (`JWTAccStrConfig`) and the Istio dialect (`JwtConfig`), with Go's zero values for nulls.
 */
import type { JwtAuthentication } from "../apirule/v2.ts";
import type { JwtConfigInput } from "./jwt.ts";
import { GO_STRING, GO_STRINGS, type GoShape } from "./_go_json.ts";
import { isRecord, isString } from "./_guards.ts";

type StructShape = GoShape & { kind: "struct" };

export const ORY_JWT: StructShape = {
  kind: "struct",
  name: "JWTAccStrConfig",
  goType: "ory.JWTAccStrConfig",
  fields: {
    trusted_issuers: GO_STRINGS,
    jwks_urls: GO_STRINGS,
    required_scope: GO_STRINGS,
    target_audience: GO_STRINGS,
  },
};

const HEADER: GoShape = {
  kind: "struct",
  name: "JwtHeader",
  goType: "v1beta1.JwtHeader",
  fields: { name: GO_STRING, prefix: GO_STRING },
};

export const ISTIO_JWT: StructShape = {
  kind: "struct",
  name: "JwtConfig",
  goType: "v1beta1.JwtConfig",
  fields: {
    authentications: {
      kind: "list",
      goType: "[]*v1beta1.JwtAuthentication",
      of: {
        kind: "struct",
        name: "JwtAuthentication",
        goType: "v1beta1.JwtAuthentication",
        fields: {
          issuer: GO_STRING,
          jwksUri: GO_STRING,
          fromHeaders: { kind: "list", goType: "[]*v1beta1.JwtHeader", of: HEADER },
          fromParams: GO_STRINGS,
        },
      },
    },
    authorizations: {
      kind: "list",
      goType: "[]*v1beta1.JwtAuthorization",
      of: {
        kind: "struct",
        name: "JwtAuthorization",
        goType: "v1beta1.JwtAuthorization",
        fields: { requiredScopes: GO_STRINGS, audiences: GO_STRINGS },
      },
    },
  },
};

/** Go's `[]string` from a decoded value: null items become "". */
export function goStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.map((v) => (isString(v) ? v : "")) : [];
}

/** The Istio-dialect view of a config that decodes (null entries as Go leaves them). */
export function jwtConfigOf(config: unknown): JwtConfigInput {
  if (!isRecord(config)) return {};
  const { authentications, authorizations } = config;
  return {
    ...(Array.isArray(authentications)
      ? { authentications: authentications.map(authenticationOf) }
      : {}),
    ...(Array.isArray(authorizations)
      ? {
        authorizations: authorizations.map((a) =>
          isRecord(a)
            ? {
              ...(Array.isArray(a.requiredScopes)
                ? { requiredScopes: goStrings(a.requiredScopes) }
                : {}),
              ...(Array.isArray(a.audiences) ? { audiences: goStrings(a.audiences) } : {}),
            }
            : null
        ),
      }
      : {}),
  };
}

function authenticationOf(value: unknown): JwtAuthentication {
  const a = isRecord(value) ? value : {};
  return {
    issuer: isString(a.issuer) ? a.issuer : "",
    jwksUri: isString(a.jwksUri) ? a.jwksUri : "",
    ...(Array.isArray(a.fromHeaders)
      ? {
        fromHeaders: a.fromHeaders.map((h) => {
          const header = isRecord(h) ? h : {};
          return {
            name: isString(header.name) ? header.name : "",
            ...(isString(header.prefix) ? { prefix: header.prefix } : {}),
          };
        }),
      }
      : {}),
    ...(Array.isArray(a.fromParams) ? { fromParams: goStrings(a.fromParams) } : {}),
  };
}
