/**
 * The offline entry points of apigw as the fuzz campaign drives them: each takes one input set
 * (the objects of a file, as parsed from YAML) and runs the code the command runs on it, in
 * process. A throw from any of them is a bug: bad input must come back as problems.
 */
import { stringify } from "yaml";
import { objectMetaProblem, pruneNulls } from "../../api/normalize.ts";
import { APIRULE_VERSIONS, ownKind } from "../../api/kinds.ts";
import {
  parseAPIGateway,
  parseAPIRuleV1beta1,
  parseAPIRuleV2,
  parseRateLimit,
} from "../../api/parse.ts";
import { convertAPIRule } from "../../api/conversion/mod.ts";
import { factsFromObjects, validateObject } from "../../api/validation/mod.ts";
import { compilePolicyIndex } from "../../core/authz/policy_index.ts";
import { compileGlobalLimits } from "../../core/ratelimit/global.ts";
import { type InputObject, parseText } from "../../cli/input.ts";
import { renderInputs } from "../../cli/render.ts";
import { toJsonList, toYaml } from "../../cli/output.ts";
import { compileGateway } from "../../proxy/gateway/config.ts";
import { parseObjects } from "../../proxy/rule_source.ts";
import { DEFAULT_CONFIG_CAPS } from "../../proxy/config_files.ts";
import { defaultAdmission, validateAdmission } from "../../webhook/admission_handlers.ts";

/** One input set as every entry point gets it: raw objects and, once read, the normalised ones. */
export interface InputSet {
  /** The objects as mutated (what a YAML file holds). */
  raw: readonly unknown[];
  /** The objects after the boundary reader (`cli/input.ts`): records, nulls normalised. */
  read: readonly InputObject[];
}

export interface EntryPoint {
  name: string;
  run(set: InputSet): void;
}

const NOW = new Date("2026-01-01T00:00:00Z");
const PROVIDER = "fuzz-authorizer";
const PATHS = ["/", "/a", "/headers", "/.well-known/x", "/a/b/c", "/%2e%2e/x"];
const METHODS = ["GET", "POST", "OPTIONS", "DELETE"];

/** Every offline entry point, in the order the campaign runs them. */
export const ENTRY_POINTS: readonly EntryPoint[] = [
  {
    // `apigw validate`: the facts of the whole input, then every own object.
    name: "validate",
    run({ read }) {
      const values = read.map((o) => o.value);
      for (const complete of [false, true]) {
        const facts = factsFromObjects(values, { complete });
        for (const value of values) {
          if (ownKind(value.apiVersion, value.kind) !== undefined) validateObject(value, facts);
        }
      }
    },
  },
  {
    // `apigw render`: the offline reconcile with the operator's planners, and its output.
    name: "render",
    run({ read }) {
      const rendered = renderInputs(read, NOW);
      if (rendered.ok) {
        toYaml(rendered.value.out);
        toJsonList(rendered.value.out);
      }
    },
  },
  {
    // `apigw convert` and the conversion webhook: every APIRule to every served version.
    name: "convert",
    run({ read }) {
      for (const { value } of read) {
        if (value.kind !== "APIRule") continue;
        for (const version of APIRULE_VERSIONS) {
          const converted = convertAPIRule(value, version);
          if (converted.ok) toYaml([converted.value]);
        }
      }
    },
  },
  {
    // The admission webhook, which in a cluster gets the object the apiserver decoded.
    name: "admission",
    run({ raw, read }) {
      // Raw objects as a create, decoded ones as an update of an empty object.
      const requests = [
        ...raw.map((object) => ({ object, operation: "CREATE", oldObject: null })),
        ...read.map((o) => ({ object: o.value, operation: "UPDATE", oldObject: {} })),
      ];
      for (const { object, operation, oldObject } of requests) {
        const request = {
          uid: "fuzz",
          operation,
          object,
          oldObject,
          apiVersion: apiVersionOf(object),
        };
        validateAdmission(request);
        defaultAdmission(request);
      }
    },
  },
  {
    // The parsers the planners and compilers start from, on raw input.
    name: "parse",
    run({ raw }) {
      for (const object of raw) {
        parseAPIRuleV2(object);
        parseAPIRuleV1beta1(object);
        parseRateLimit(object);
        parseAPIGateway(object);
      }
    },
  },
  {
    // `apigw serve`: the gateway config of a folder snapshot.
    name: "serve",
    run({ read }) {
      compileGateway(read.map((o) => o.value), { providerName: PROVIDER });
    },
  },
  {
    // `apigw authz` and `apigw explain`: the policy index, then routing of a few requests.
    name: "policy-index",
    run({ read }) {
      const { index } = compilePolicyIndex(read.map((o) => o.value), { providerName: PROVIDER });
      for (const host of [...index.hosts.keys(), "unknown.example.com"]) {
        const concrete = host.replace(/^\*\./, "x.");
        for (const path of PATHS) {
          for (const method of METHODS) index.match({ host: concrete, method, path });
        }
      }
    },
  },
  {
    // The `spec.global` limits `apigw authz` and `apigw serve` enforce.
    name: "global-limits",
    run({ read }) {
      compileGlobalLimits(read.map((o) => o.value));
    },
  },
];

/** The commands' reader (`cli/input.ts`) on the set written as YAML: the objects it read. */
export function readAsYaml(text: string): InputObject[] {
  const parsed = parseText(text, "fuzz.yaml");
  return parsed.ok ? parsed.objects : [];
}

/**
 * The serve/authz folder source's reader on the set written as YAML, behind its default per-file
 * cap (`proxy/config_files.ts`): a larger file is refused by its size before it is parsed.
 */
export function readAsFolder(text: string): void {
  if (ENCODER.encode(text).length > DEFAULT_CONFIG_CAPS.maxFileBytes) return;
  parseObjects(text, "fuzz.yaml");
}

const ENCODER = new TextEncoder();

/** The set as a YAML file (a `v1` List), or undefined when it has no YAML form. */
export function yamlOf(raw: readonly unknown[]): string | undefined {
  try {
    return stringify(raw.length === 1 ? raw[0] : { apiVersion: "v1", kind: "List", items: raw }, {
      lineWidth: 0,
    });
  } catch {
    return undefined;
  }
}

/** The objects as the reader hands them on (records, nulls normalised), without YAML. */
export function readInMemory(raw: readonly unknown[]): InputObject[] {
  const read = raw.filter(isRecord).map((value, i) => ({
    source: `fuzz#${i + 1}`,
    value: pruneNulls(value),
  }));
  // The reader refuses the whole input then; the commands stop with a usage error.
  return read.some((o) => objectMetaProblem(o.value) !== undefined) ? [] : read;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function apiVersionOf(object: unknown): string {
  return typeof object === "object" && object !== null && "apiVersion" in object &&
      typeof object.apiVersion === "string"
    ? object.apiVersion
    : "";
}
