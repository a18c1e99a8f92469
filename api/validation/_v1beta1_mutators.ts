/**
 * Mutator checks of APIRule v1beta1 in Istio mode (docs/spec/apirule-v1beta1.md §7.5, §10.6): a jwt rule
 * may set request headers (`header`) and cookies (`cookie`), once each.
 */
import type { Handler } from "../apirule/v1beta1.ts";
import type { Failure } from "./failure.ts";
import { goDecodeError, type GoShape } from "./_go_json.ts";
import { isRecord } from "./_guards.ts";

function mapConfig(name: string, field: string): GoShape & { kind: "struct" } {
  return {
    kind: "struct",
    name,
    goType: `v1beta1.${name}`,
    fields: { [field]: { kind: "map", goType: "map[string]string" } },
  };
}

const KINDS: Readonly<Record<string, { field: string; shape: GoShape & { kind: "struct" } }>> = {
  header: { field: "headers", shape: mapConfig("HeaderMutatorConfig", "headers") },
  cookie: { field: "cookies", shape: mapConfig("CookieMutatorConfig", "cookies") },
};

/** §10.6 for the mutators of one jwt rule; `r` is `.spec.rules[i]`. */
export function mutatorFailures(r: string, mutators: readonly Handler[]): Failure[] {
  const failures: Failure[] = [];
  const seen = new Set<string>();
  for (const [m, mutator] of mutators.entries()) {
    if (seen.has(mutator.handler)) {
      failures.push({
        attributePath: `${r}.mutators[${m}].handler.${mutator.handler}`,
        message: "mutator for same handler already exists",
      });
    }
    seen.add(mutator.handler);
  }
  for (const [m, mutator] of mutators.entries()) {
    const handlerPath = `${r}.mutators[${m}].handler`;
    const kind = KINDS[mutator.handler];
    if (mutator.handler === "") {
      failures.push({ attributePath: handlerPath, message: "mutator handler cannot be empty" });
    } else if (kind === undefined) {
      failures.push({
        attributePath: handlerPath,
        message: `unsupported mutator: ${mutator.handler}`,
      });
    } else {
      const failure = configFailure(`${handlerPath}.config`, mutator.config, kind);
      if (failure !== undefined) failures.push(failure);
    }
  }
  return failures;
}

function configFailure(
  path: string,
  config: unknown,
  kind: { field: string; shape: GoShape & { kind: "struct" } },
): Failure | undefined {
  const empty = { attributePath: path, message: `${kind.field} cannot be empty` };
  if (config === undefined) return empty;
  const error = goDecodeError(config, kind.shape);
  if (error !== undefined) return { attributePath: path, message: `Can't read json: ${error}` };
  const entries = isRecord(config) && isRecord(config[kind.field]) ? config[kind.field] : {};
  const names = isRecord(entries) ? Object.keys(entries) : [];
  if (names.length === 0) return empty;
  if (names.includes("")) {
    return { attributePath: `${path}.${kind.field}.name`, message: "cannot be empty" };
  }
  return undefined;
}

/** Mutators `apigw authz` serves (jwtHandler apigw). */
const APIGW_MUTATORS = ["noop", "header", "cookie", "id_token"];

/** jwtHandler apigw: mutators apigw cannot run (e.g. `hydrator`) fail the APIRule. */
export function apigwMutatorFailures(r: string, mutators: readonly Handler[]): Failure[] {
  return mutators.flatMap((mutator, m) =>
    APIGW_MUTATORS.includes(mutator.handler) ? [] : [{
      attributePath: `${r}.mutators[${m}].handler`,
      message: `unsupported mutator with JWT handler apigw: ${mutator.handler}`,
    }]
  );
}
