/**
 * `apigw validate -f FILE …`: runs the schema, CEL and semantic checks on every apigw CR in the
 * files, offline. The other objects in the files are the cluster those checks look at; a check
 * that needs an object the files lack is skipped with a note.
 */
import { HELP_OPTION } from "../config.ts";
import { factsFromObjects, type ObjectValidation, validateObject } from "../api/validation/mod.ts";
import { type Command, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, usageError } from "./command.ts";
import { type InputObject, readInputs } from "./input.ts";
import { commandOptions, fileOption } from "./options.ts";

const OPTIONS = {
  help: HELP_OPTION,
  file: fileOption("File of Kubernetes objects: multi-document YAML, or JSON; - reads stdin"),
  complete: {
    type: "boolean",
    help: "Treat the files as the whole cluster: an object they lack does not exist",
  },
} as const;

const OWN_GROUPS = ["gateway.kyma-project.io", "operator.kyma-project.io"];
const OWN_KINDS = ["APIRule", "RateLimit", "APIGateway"];

export const validateCommand: Command = {
  name: "validate",
  summary: "Check APIRules, RateLimits and APIGateways without a cluster",
  usage: "validate -f FILE [-f FILE …] [--complete]",
  description: [
    "Checks every APIRule (v1beta1, v2alpha1, v2), RateLimit and APIGateway in the files the way",
    "the API server and the operator would: the CRD schema and its CEL rules (unknown fields are",
    "errors, as with kubectl --validate=strict), then the operator's own checks (paths, JWT",
    "settings, hosts, gateways, rate limit buckets, the APIGateway singleton).",
    "",
    "Every other object in the files is taken as cluster state: Services, Pods, Istio Gateways and",
    "VirtualServices, the istio-system/istio and kyma-system/api-gateway-config ConfigMaps, other",
    "RateLimits and APIGateways. A check that needs an object the files lack is skipped and says",
    'so on stderr ("note: …"); the files count as the whole state of a namespace for a kind once',
    "they hold one object of that kind there. With --complete the files are the whole cluster,",
    "so a missing object is an error, as it would be for the operator.",
    "",
    "Prints one line per problem on stdout (<Kind> <namespace>/<name>: <field path>: <reason>)",
    "and a summary. Exit status: 0 when every object is valid, 1 when any has a problem, 2 for",
    "usage errors or unreadable input.",
    "",
    "Example: apigw validate -f apirule.yaml -f cluster-state.yaml",
  ].join("\n"),
  options: OPTIONS,
  async run(args, io) {
    const parsed = commandOptions(validateCommand, OPTIONS, args, io);
    if ("exit" in parsed) return parsed.exit;
    const options = parsed.options;
    const problems = [
      ...options.positionals.map((p) => `Unexpected argument "${p}": name files with -f`),
      ...(options.file.length === 0 ? ["Missing -f FILE"] : []),
    ];
    if (problems.length > 0) return usageError(validateCommand, problems, io);
    const read = await readInputs(options.file);
    if (!read.ok) {
      io.stderr(`apigw validate: ${read.error}\n`);
      return EXIT_USAGE;
    }
    const facts = factsFromObjects(read.objects.map((o) => o.value), {
      complete: options.complete,
    });
    const crs = read.objects.filter(isOwnObject);
    if (crs.length === 0) io.stderr("note: no APIRule, RateLimit or APIGateway in the input\n");
    let invalid = 0;
    let errors = 0;
    for (const input of crs) {
      const result = validateObject(input.value, facts);
      const label = objectLabel(result, input);
      const found = result.problems.filter((p) => p.severity === "error");
      for (const problem of found) {
        io.stdout(
          `${label}: ${problem.path === "" ? "" : `${problem.path}: `}${problem.message}\n`,
        );
      }
      for (const note of result.problems.filter((p) => p.severity === "note")) {
        io.stderr(`note: ${label}: ${note.message}\n`);
      }
      if (found.length > 0) invalid++;
      errors += found.length;
    }
    io.stdout(summary(crs.length, invalid, errors));
    return invalid > 0 ? EXIT_FINDINGS : EXIT_OK;
  },
};

/** An object of apigw's kinds, in a served apiVersion or not (an unserved one is a problem). */
function isOwnObject(input: InputObject): boolean {
  const { apiVersion, kind } = input.value;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return false;
  return OWN_KINDS.includes(kind) && OWN_GROUPS.includes(apiVersion.split("/")[0] ?? "");
}

function objectLabel(result: ObjectValidation, input: InputObject): string {
  const name = result.name === "" ? `(unnamed, ${input.source})` : result.name;
  return `${result.kind} ${result.namespace === "" ? "" : `${result.namespace}/`}${name}`;
}

function summary(checked: number, invalid: number, errors: number): string {
  const objects = `${checked} object${checked === 1 ? "" : "s"}`;
  if (invalid === 0) return `Checked ${objects}: all valid\n`;
  return `Checked ${objects}: ${invalid} invalid, ${errors} problem${errors === 1 ? "" : "s"}\n`;
}
