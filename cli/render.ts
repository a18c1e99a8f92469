/**
 * `apigw render`: the offline reconcile. Every apigw CR in the input is reconciled once against
 * the other objects (the cluster it sees), with the very planners the operator runs; the output
 * is every object the reconcile would apply, and each CR with its finalizers and status.
 */
import { HELP_OPTION, type Result } from "../config.ts";
import type { KubeObject } from "../api/meta.ts";
import { ownKind } from "../api/kinds.ts";
import { validateSchema } from "../api/schema/validate.ts";
import { formatProblem } from "../api/schema/problem.ts";
import { storageProblem } from "../api/storage.ts";
import { OFFLINE_CRDS } from "../core/installed_crds.ts";
import { reconcileAll } from "../core/reconcile_all.ts";
import { PLANNERS } from "../core/planners.ts";
import { type Command, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, usageError } from "./command.ts";
import { type InputObject, isRecord, readInputs } from "./input.ts";
import { toJsonList, toYaml } from "./output.ts";
import { commandOptions, fileOption, OBJECT_OUTPUT_OPTION } from "./options.ts";

const OPTIONS = {
  help: HELP_OPTION,
  file: fileOption("Input file (multi-document YAML or JSON; - for stdin)"),
  output: OBJECT_OUTPUT_OPTION,
  now: {
    type: "string",
    help: "Reconcile time for timestamps, RFC 3339 (default: the current time)",
    parse: rfc3339,
  },
} as const;

export const renderCommand: Command = {
  name: "render",
  summary: "Reconcile apigw CRs offline and print the objects the operator would apply",
  usage: "render -f FILE [-f FILE …] [-o yaml|json] [--now RFC3339]",
  description: [
    "Each APIRule (any served version), RateLimit and APIGateway in the input is reconciled once;",
    "every other object is the cluster state it sees (Services, Pods, Gateways, ConfigMaps, existing",
    "VirtualServices and policies…). Prints every object the reconcile would create, update or keep,",
    "then each CR with the finalizers and status the reconcile would write. Objects the reconcile",
    "would delete are absent. Generated key material is never printed.",
    "",
    "Exit codes: 0 every CR ends Ready; 1 a CR ends Error or Warning (one line per such CR on",
    "stderr); 2 usage errors or unreadable input.",
  ].join("\n"),
  options: OPTIONS,
  async run(args, io) {
    const parsed = commandOptions(renderCommand, OPTIONS, args, io);
    if ("exit" in parsed) return parsed.exit;
    const options = parsed.options;
    if (options.file.length === 0) return usageError(renderCommand, ["-f FILE is required"], io);
    const inputs = await readInputs(options.file);
    if (!inputs.ok) {
      io.stderr(`apigw render: ${inputs.error}\n`);
      return EXIT_USAGE;
    }
    const rendered = renderInputs(inputs.objects, options.now ?? new Date());
    if (!rendered.ok) {
      io.stderr(`apigw render: ${rendered.error}\n`);
      return EXIT_USAGE;
    }
    const { out, failures } = rendered.value;
    io.stdout(options.output === "json" ? toJsonList(out) : toYaml(out));
    for (const line of failures) io.stderr(line + "\n");
    return failures.length > 0 ? EXIT_FINDINGS : EXIT_OK;
  },
};

/** What `apigw render` prints for inputs already read: the objects, then one line per finding. */
export interface Rendered {
  out: unknown[];
  failures: string[];
}

/** The offline reconcile of read inputs, as `apigw render` runs it (the fuzz campaign too). */
export function renderInputs(inputs: readonly InputObject[], now: Date): Result<Rendered, string> {
  const objects: KubeObject[] = [];
  for (const { source, value } of inputs) {
    const object = asKubeObject(value);
    if (!object.ok) return { ok: false, error: `${source}: ${object.error}` };
    objects.push(object.value);
  }
  const rejected = objects.filter((o) => schemaProblems(o).length > 0);
  const planned = reconcileAll(objects.filter((o) => !rejected.includes(o)), {
    planners: PLANNERS,
    crds: OFFLINE_CRDS,
    now,
  });
  const out: unknown[] = [];
  const failures: string[] = [];
  for (const { plan } of planned) {
    out.push(...plan.apply);
    if (plan.cr !== undefined) out.push(plan.cr);
    if (plan.state !== "Ready" && plan.cr !== undefined) {
      failures.push(`${describe(plan.cr)}: ${plan.state}: ${plan.description}`);
    }
  }
  for (const object of rejected) {
    // The apiserver would refuse to store it: nothing is reconciled, nothing printed for it.
    failures.push(`${describe(object)}: Error: ${schemaProblems(object).join("; ")}`);
  }
  return { ok: true, value: { out, failures } };
}

function schemaProblems(object: KubeObject): string[] {
  const kind = ownKind(object.apiVersion, object.kind);
  if (kind === undefined) return [];
  const problems = validateSchema(kind.schema, object).map(formatProblem);
  const unstorable = problems.length === 0 ? storageProblem(object) : undefined;
  return unstorable === undefined ? problems : [`${unstorable.path}: ${unstorable.message}`];
}

function describe(object: KubeObject): string {
  const { namespace, name } = object.metadata;
  return namespace ? `${object.kind} ${namespace}/${name ?? ""}` : `${object.kind} ${name ?? ""}`;
}

function asKubeObject(value: Record<string, unknown>): Result<KubeObject, string> {
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return { ok: false, error: "every object needs apiVersion and kind" };
  }
  if (metadata !== undefined && !isRecord(metadata)) {
    return { ok: false, error: `${kind}: metadata must be an object` };
  }
  return { ok: true, value: { ...value, apiVersion, kind, metadata: { ...(metadata ?? {}) } } };
}

function rfc3339(raw: string): Result<Date, string> {
  const date = new Date(raw);
  return /^\d{4}-\d{2}-\d{2}T/.test(raw) && !Number.isNaN(date.getTime())
    ? { ok: true, value: date }
    : { ok: false, error: `"${raw}" is not an RFC 3339 time (e.g. 2026-01-01T00:00:00Z)` };
}
