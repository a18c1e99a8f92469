/** `apigw version`: prints the apigw version and the runtime it runs on. */
import denoJson from "../deno.json" with { type: "json" };
import { HELP_OPTION, oneOf, parseOptions } from "../config.ts";
import { type Command, commandHelp, EXIT_OK, usageError } from "./command.ts";

export const APIGW_VERSION: string = denoJson.version;

const OPTIONS = {
  help: HELP_OPTION,
  output: {
    type: "string",
    short: "o",
    help: "Output format: text or json",
    default: "text",
    parse: oneOf(["text", "json"] as const),
  },
} as const;

export const versionCommand: Command = {
  name: "version",
  summary: "Print the apigw version",
  usage: "version [-o text|json]",
  options: OPTIONS,
  run(args, io) {
    const options = parseOptions(OPTIONS, args, io.env);
    if (!options.ok) return Promise.resolve(usageError(versionCommand, options.error, io));
    if (options.value.help) {
      io.stdout(commandHelp(versionCommand));
      return Promise.resolve(EXIT_OK);
    }
    const info = { apigw: APIGW_VERSION, deno: Deno.version.deno, v8: Deno.version.v8 };
    io.stdout(
      options.value.output === "json"
        ? JSON.stringify(info) + "\n"
        : `apigw ${info.apigw} (deno ${info.deno}, v8 ${info.v8})\n`,
    );
    return Promise.resolve(EXIT_OK);
  },
};
