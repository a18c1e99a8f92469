/**
 * What several commands share: the parse-or-help preamble of every `run()`, and the option
 * specs that mean the same thing wherever they appear (-f, -o, path normalization).
 */
import { oneOf, type Options, type OptionSpecs, parseOptions, type StringSpec } from "../config.ts";
import { PATH_NORMALIZATIONS, type PathNormalization } from "../core/authz/canonical.ts";
import { type Command, commandHelp, type CommandIO, EXIT_OK, usageError } from "./command.ts";
import { type OutputFormat, outputFormat } from "./output.ts";

/**
 * Parses a command's arguments. Bad options print every problem and the usage; `--help` prints
 * the help; either way the caller returns `{ exit }` as it is.
 */
export function commandOptions<S extends OptionSpecs>(
  command: Command,
  specs: S,
  args: readonly string[],
  io: CommandIO,
): { exit: number } | { options: Options<S> } {
  const parsed = parseOptions(specs, args, io.env);
  if (!parsed.ok) return { exit: usageError(command, parsed.error, io) };
  if ((parsed.value as { help?: boolean }).help === true) {
    io.stdout(commandHelp(command));
    return { exit: EXIT_OK };
  }
  return { options: parsed.value };
}

/** `-f FILE`, repeatable; `-` reads stdin. */
export function fileOption(help: string): { type: "list"; short: "f"; help: string } {
  return { type: "list", short: "f", help };
}

/** `-o yaml|json` for commands that print Kubernetes objects. */
export const OBJECT_OUTPUT_OPTION: StringSpec<OutputFormat> & { default: string } = {
  type: "string",
  short: "o",
  help: "Output format: yaml (one document per object) or json (a v1 List)",
  default: "yaml",
  parse: outputFormat,
};

/** `-o text|json` for commands that print a report. */
export const REPORT_OUTPUT_OPTION: StringSpec<"text" | "json"> & { default: string } = {
  type: "string",
  short: "o",
  help: "Output format: text or json",
  default: "text",
  parse: oneOf(["text", "json"] as const),
};

/** The mesh's `pathNormalization`, which every decision on paths must share. */
export const NORMALIZATION_OPTION: StringSpec<PathNormalization> & { default: string } = {
  type: "string",
  help: "Path normalization, as the mesh's pathNormalization",
  default: "BASE",
  parse: oneOf(PATH_NORMALIZATIONS),
};

/** What to do with `%2F` and `%5C` in paths (docs/spec/dataplane.md §8 #16). */
export const ESCAPED_SLASHES_OPTION: StringSpec<"reject" | "keep"> & { default: string } = {
  type: "string",
  help: "%2F and %5C in paths (unless decoded): reject with 400, or keep",
  default: "reject",
  parse: oneOf(["reject", "keep"] as const),
};
