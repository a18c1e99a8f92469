/** `apigw version`: prints the apigw version and the runtime it runs on. */
import denoJson from "../deno.json" with { type: "json" };
import { HELP_OPTION } from "../config.ts";
import { type Command, EXIT_OK } from "./command.ts";
import { commandOptions, REPORT_OUTPUT_OPTION } from "./options.ts";

export const APIGW_VERSION: string = denoJson.version;
/** The image `deno task image:build` makes and `apigw manifests` references by default. */
export const DEFAULT_IMAGE = `apigw:${APIGW_VERSION}`;

const OPTIONS = {
  help: HELP_OPTION,
  output: REPORT_OUTPUT_OPTION,
} as const;

export const versionCommand: Command = {
  name: "version",
  summary: "Print the apigw version",
  usage: "version [-o text|json]",
  options: OPTIONS,
  run(args, io) {
    const parsed = commandOptions(versionCommand, OPTIONS, args, io);
    if ("exit" in parsed) return Promise.resolve(parsed.exit);
    const options = parsed.options;
    const info = { apigw: APIGW_VERSION, deno: Deno.version.deno, v8: Deno.version.v8 };
    io.stdout(
      options.output === "json"
        ? JSON.stringify(info) + "\n"
        : `apigw ${info.apigw} (deno ${info.deno}, v8 ${info.v8})\n`,
    );
    return Promise.resolve(EXIT_OK);
  },
};
