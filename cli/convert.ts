/**
 * `apigw convert`: converts APIRules between v1beta1, v2alpha1 and v2 offline, exactly as the
 * conversion webhook does (api/conversion), and prints the result.
 */
import { HELP_OPTION, type Result } from "../config.ts";
import { convertAPIRule, type ConvertedAPIRule } from "../api/conversion/mod.ts";
import { APIRULE_VERSIONS, type APIRuleVersion } from "../api/kinds.ts";
import { type Command, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, usageError } from "./command.ts";
import { readInputs } from "./input.ts";
import { toJsonList, toYaml } from "./output.ts";
import { commandOptions, fileOption, OBJECT_OUTPUT_OPTION } from "./options.ts";

/** Accepts a full apiVersion or the bare version (`v2`). */
function targetVersion(raw: string): Result<APIRuleVersion, string> {
  const version = APIRULE_VERSIONS.find((v) => v === raw || v.endsWith(`/${raw}`));
  return version !== undefined ? { ok: true, value: version } : {
    ok: false,
    error: `"${raw}" is not one of ${APIRULE_VERSIONS.map((v) => `"${v}"`).join(", ")}`,
  };
}

const OPTIONS = {
  help: HELP_OPTION,
  file: fileOption(
    'File with the APIRule to convert: YAML (multi-document) or JSON; "-" reads stdin',
  ),
  to: {
    type: "string",
    help: "apiVersion to convert to: gateway.kyma-project.io/v1beta1, v2alpha1 or v2 " +
      "(the bare version also works)",
    parse: targetVersion,
  },
  output: OBJECT_OUTPUT_OPTION,
} as const;

const DESCRIPTION = [
  "Converts each APIRule in the files to the given apiVersion the way the conversion webhook",
  "does when the API server reads or writes it in another version. v2alpha1 is the storage",
  "version; v1beta1 <-> v2 goes through it. Writing a v1beta1 APIRule saves its whole spec in the",
  "gateway.kyma-project.io/v1beta1-spec annotation and converts its rules only if every rule has",
  "a v2 form; reading it back as v1beta1 restores the spec from that annotation.",
  "",
  "Prints the converted object: YAML by default; with -o json the object as JSON, or a v1 List",
  "when the files hold several APIRules. Exit status: 0 converted, 1 an object could not be",
  "converted (the reason is printed on stderr), 2 usage error or unreadable input.",
  "",
  "Example:",
  "  apigw convert -f apirule-v1beta1.yaml --to gateway.kyma-project.io/v2",
].join("\n");

export const convertCommand: Command = {
  name: "convert",
  summary: "Convert APIRules between v1beta1, v2alpha1 and v2",
  usage: "convert -f FILE --to APIVERSION [-o yaml|json]",
  description: DESCRIPTION,
  options: OPTIONS,
  async run(args, io) {
    const parsed = commandOptions(convertCommand, OPTIONS, args, io);
    if ("exit" in parsed) return parsed.exit;
    const { file: files, to, output, positionals } = parsed.options;
    const problems = [
      ...(files.length === 0 ? ["Option --file (-f) is required"] : []),
      ...(to === undefined ? ["Option --to is required"] : []),
      ...(positionals.length > 0 ? [`Unexpected argument "${positionals[0]}"`] : []),
    ];
    if (problems.length > 0 || to === undefined) return usageError(convertCommand, problems, io);
    const inputs = await readInputs(files);
    if (!inputs.ok) {
      io.stderr(`apigw convert: ${inputs.error}\n`);
      return EXIT_USAGE;
    }
    if (inputs.objects.length === 0) {
      io.stderr(`apigw convert: No object in ${files.map((f) => `"${f}"`).join(", ")}\n`);
      return EXIT_USAGE;
    }
    const converted: ConvertedAPIRule[] = [];
    let failed = false;
    for (const input of inputs.objects) {
      const result = convertAPIRule(input.value, to);
      if (result.ok) {
        converted.push(result.value);
      } else {
        failed = true;
        io.stderr(`apigw convert: ${input.source}: ${result.error.message}\n`);
      }
    }
    if (failed) return EXIT_FINDINGS;
    const [only] = converted;
    if (output === "json") {
      io.stdout(
        converted.length === 1 && only !== undefined
          ? JSON.stringify(only, null, 2) + "\n"
          : toJsonList(converted),
      );
    } else {
      io.stdout(toYaml(converted));
    }
    return EXIT_OK;
  },
};
