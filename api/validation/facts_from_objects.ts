/**
 * Builds the validation facts from a list of Kubernetes objects (validate's input files, or a
 * snapshot). Objects of other kinds are ignored; malformed fields read as empty.
 */
import { parse } from "yaml";
import type {
  APIGatewayFact,
  GatewayFact,
  ObjectRefFact,
  PodFact,
  RateLimitFact,
  ServiceFact,
  ValidationFacts,
  VirtualServiceFact,
} from "./facts.ts";
import { isRecord, isString, objectKey, stringList, stringMap } from "./_guards.ts";

/** The module config map and its key (docs/spec/apirule-v2.md §4 step 1). */
const MODULE_CONFIG = { namespace: "kyma-system", name: "api-gateway-config" };
const MESH_CONFIG = { namespace: "istio-system", name: "istio" };

/**
 * The facts `objects` hold. With `complete`, they are the whole cluster: every list is given
 * (maybe empty), a missing mesh ConfigMap is `null`, a missing module config means `ory`.
 * Otherwise a kind without any object stays unknown.
 */
export function factsFromObjects(
  objects: readonly unknown[],
  options: { complete: boolean },
): ValidationFacts {
  const of = (group: string, kind: string) =>
    objects.filter((o) => isRecord(o) && o.kind === kind && groupOf(o.apiVersion) === group);
  const list = <T>(items: T[]): T[] | undefined =>
    items.length > 0 || options.complete ? items : undefined;
  const configMaps = of("", "ConfigMap");
  const mesh = configMaps.find((o) => sameKey(o, MESH_CONFIG));
  const moduleConfig = configMaps.find((o) => sameKey(o, MODULE_CONFIG));
  const facts: ValidationFacts = {
    complete: options.complete,
    ...defined("services", list(of("", "Service").map(serviceFact))),
    ...defined("pods", list(of("", "Pod").map(podFact))),
    ...defined("gateways", list(of("networking.istio.io", "Gateway").map(gatewayFact))),
    ...defined(
      "externalGateways",
      list(of("gateway.kyma-project.io", "ExternalGateway").map(refFact)),
    ),
    ...defined(
      "virtualServices",
      list(of("networking.istio.io", "VirtualService").map(virtualServiceFact)),
    ),
    ...defined(
      "apiGateways",
      list(of("operator.kyma-project.io", "APIGateway").map(apiGatewayFact)),
    ),
    ...defined("rateLimits", list(of("gateway.kyma-project.io", "RateLimit").map(rateLimitFact))),
  };
  if (mesh !== undefined) facts.istioMeshConfigMap = { data: stringMap(field(mesh, "data")) };
  else if (options.complete) facts.istioMeshConfigMap = null;
  if (moduleConfig !== undefined) facts.jwtHandler = jwtHandlerOf(moduleConfig);
  else if (options.complete) facts.jwtHandler = "ory";
  return facts;
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  const out: { [P in K]?: V } = {};
  if (value !== undefined) out[key] = value;
  return out;
}

function groupOf(apiVersion: unknown): string | undefined {
  if (!isString(apiVersion)) return undefined;
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

function sameKey(object: unknown, key: { namespace: string; name: string }): boolean {
  const k = objectKey(object);
  return k.namespace === key.namespace && k.name === key.name;
}

function field(object: unknown, ...path: string[]): unknown {
  let value = object;
  for (const key of path) value = isRecord(value) ? value[key] : undefined;
  return value;
}

/** `jwtHandler` of the module config; "" when it cannot be read (a config failure, §4). */
function jwtHandlerOf(configMap: unknown): string {
  const text = field(configMap, "data", "api-gateway-config");
  if (!isString(text)) return "";
  try {
    const handler = field(parse(text), "jwtHandler");
    return isString(handler) ? handler : "";
  } catch {
    return "";
  }
}

function refFact(object: unknown): ObjectRefFact {
  return objectKey(object);
}

function serviceFact(object: unknown): ServiceFact {
  return { ...objectKey(object), selector: stringMap(field(object, "spec", "selector")) };
}

function podFact(object: unknown): PodFact {
  const names = (list: unknown) =>
    Array.isArray(list) ? list.map((c) => field(c, "name")).filter(isString) : [];
  return {
    ...objectKey(object),
    labels: stringMap(field(object, "metadata", "labels")),
    annotations: stringMap(field(object, "metadata", "annotations")),
    containers: names(field(object, "spec", "containers")),
    initContainers: names(field(object, "spec", "initContainers")),
  };
}

function gatewayFact(object: unknown): GatewayFact {
  const servers = field(object, "spec", "servers");
  return {
    ...objectKey(object),
    servers: (Array.isArray(servers) ? servers : []).map((server) => {
      const protocol = field(server, "port", "protocol");
      return {
        hosts: stringList(field(server, "hosts")),
        ...(isString(protocol) ? { protocol } : {}),
      };
    }),
  };
}

function virtualServiceFact(object: unknown): VirtualServiceFact {
  return {
    ...objectKey(object),
    hosts: stringList(field(object, "spec", "hosts")),
    labels: stringMap(field(object, "metadata", "labels")),
  };
}

function apiGatewayFact(object: unknown): APIGatewayFact {
  const created = field(object, "metadata", "creationTimestamp");
  return {
    name: objectKey(object).name,
    ...(isString(created) ? { creationTimestamp: created } : {}),
  };
}

function rateLimitFact(object: unknown): RateLimitFact {
  return {
    ...objectKey(object),
    selectorLabels: stringMap(field(object, "spec", "selectorLabels")),
  };
}
