/**
 * The one VirtualService of a v1beta1 APIRule (docs/spec/apirule-v1beta1.md §7.2–§7.5).
 */
import type { CorsPolicyV1beta1, RuleV1beta1 } from "../../../api/apirule/v1beta1.ts";
import { parseGoDuration } from "../../../api/duration.ts";
import {
  type CorsPolicy,
  type HTTPRoute,
  NETWORKING_V1,
  type StringMatch,
  type VirtualService,
} from "../../istio/types.ts";
import { record, stringMap } from "../../istio/read.ts";
import { forwardedHost } from "../hosts.ts";
import { DEFAULT_TIMEOUT_SECONDS, ownerLabels } from "../labels.ts";
import { CORS_RESPONSE_HEADERS } from "../virtual_service.ts";
import type { V1beta1Context } from "./context.ts";
import { DEFAULT_CORS, OATHKEEPER_PROXY_HOST, OATHKEEPER_PROXY_PORT } from "./constants.ts";
import { hasHandler, jwtSecured, routesToOathkeeper } from "./handlers.ts";

/** The desired VirtualService of a v1beta1 APIRule. */
export function virtualServiceForV1beta1(context: V1beta1Context): VirtualService {
  const cors = context.corsPolicy === undefined ? DEFAULT_CORS : corsPolicyOf(context.corsPolicy);
  const paths = context.rules.map(({ rule }) => rule.path);
  const duplicated = new Set(paths.filter((p, i) => paths.indexOf(p) !== i));
  return {
    apiVersion: NETWORKING_V1,
    kind: "VirtualService",
    metadata: {
      generateName: `${context.name}-`,
      namespace: context.namespace,
      labels: ownerLabels(context.name, context.namespace),
    },
    spec: {
      hosts: [context.host],
      gateways: [context.gateway],
      http: context.rules.map(({ rule, backend }) => {
        // Upstream routes only the first rule of a path, so other rules' methods reach its
        // handling (§17.1). Here each rule of a shared path gets its own method-matched route.
        const methodMatch = duplicated.has(rule.path) || matchesMethods(rule, context.mode);
        const oathkeeper = routesToOathkeeper(rule, context.mode);
        const route: HTTPRoute = {
          match: [{
            uri: uriMatchV1beta1(rule.path, context.mode),
            ...(methodMatch ? { method: { regex: `^(${rule.methods.join("|")})$` } } : {}),
          }],
          route: [{
            destination: oathkeeper
              ? { host: OATHKEEPER_PROXY_HOST, port: { number: OATHKEEPER_PROXY_PORT } }
              : {
                host: `${backend.name}.${backend.namespace}.svc.cluster.local`,
                port: { number: backend.port },
              },
            weight: 100,
          }],
          timeout: `${rule.timeout ?? context.timeout ?? DEFAULT_TIMEOUT_SECONDS}s`,
          ...(cors !== undefined ? { corsPolicy: cors } : {}),
          headers: {
            request: { set: requestHeaders(rule, context) },
            ...(context.corsPolicy !== undefined
              ? { response: { remove: [...CORS_RESPONSE_HEADERS] } }
              : {}),
          },
        };
        return route;
      }),
    },
  };
}

function matchesMethods(rule: RuleV1beta1, mode: V1beta1Context["mode"]): boolean {
  return mode === "ory" ? hasHandler(rule, "no_auth") : !hasHandler(rule, "allow");
}

function uriMatchV1beta1(path: string, mode: V1beta1Context["mode"]): StringMatch {
  return mode !== "ory" && path === "/*" ? { prefix: "/" } : { regex: path };
}

function requestHeaders(rule: RuleV1beta1, context: V1beta1Context): Record<string, string> {
  const set: Record<string, string> = { "x-forwarded-host": forwardedHost([context.host]) };
  if (context.mode !== "istio" || !jwtSecured(rule)) return set;
  const header = rule.mutators?.find((m) => m.handler === "header");
  for (const [name, value] of Object.entries(stringMap(record(header?.config)?.headers))) {
    set[name] = value;
  }
  const cookie = rule.mutators?.find((m) => m.handler === "cookie");
  const cookies = Object.entries(stringMap(record(cookie?.config)?.cookies));
  if (cookies.length > 0) {
    // Sorted by name: upstream iterates a Go map (§17.5).
    set["Cookie"] = cookies.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`).join("; ");
  }
  return set;
}

/** The route CORS policy built from the APIRule's; none without `allowOrigins` (§7.4). */
function corsPolicyOf(policy: CorsPolicyV1beta1): CorsPolicy | undefined {
  if ((policy.allowOrigins ?? []).length === 0) return undefined;
  const origins: StringMatch[] = (policy.allowOrigins ?? []).flatMap((entry) =>
    Object.entries(entry).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) =>
      key === "exact" ? { exact: value } : key === "regex" ? { regex: value } : { prefix: value }
    )
  );
  const maxAge = policy.maxAge === undefined ? undefined : parseGoDuration(policy.maxAge);
  return {
    allowOrigins: origins,
    ...(policy.allowMethods?.length ? { allowMethods: [...policy.allowMethods] } : {}),
    ...(policy.allowHeaders?.length ? { allowHeaders: [...policy.allowHeaders] } : {}),
    ...(policy.exposeHeaders?.length ? { exposeHeaders: [...policy.exposeHeaders] } : {}),
    ...(policy.allowCredentials !== undefined ? { allowCredentials: policy.allowCredentials } : {}),
    ...(maxAge?.ok ? { maxAge: `${maxAge.value / 1_000_000_000n}s` } : {}),
  };
}
