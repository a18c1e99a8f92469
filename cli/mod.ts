/**
 * The `apigw` command line: a table of subcommands and the dispatcher over it.
 *
 * `main.ts` calls `runCli(args, io)`; each subcommand parses its own flags (config.ts), does its
 * work through `core/`, `kube/` or the servers, and returns an exit code.
 */
import { type Command, type CommandIO, EXIT_OK, EXIT_USAGE } from "./command.ts";
import { validateCommand } from "./validate.ts";
import { APIGW_VERSION, versionCommand } from "./version.ts";
import { convertCommand } from "./convert.ts";
import { migrateCommand } from "./migrate.ts";
import { renderCommand } from "./render.ts";
import { authzCommand } from "./authz.ts";
import { explainCommand } from "./explain.ts";
import { operatorCommand } from "./operator.ts";
import { manifestsCommand } from "./manifests.ts";
import { serveCommand } from "./serve.ts";
import { tokenCommand } from "./token.ts";

/** Every subcommand, in the order `apigw --help` lists them. */
export const COMMANDS: readonly Command[] = [
  renderCommand,
  validateCommand,
  versionCommand,
  convertCommand,
  migrateCommand,
  authzCommand,
  explainCommand,
  operatorCommand,
  manifestsCommand,
  serveCommand,
  tokenCommand,
];

/** The top-level `apigw --help` text. */
export function topHelp(commands: readonly Command[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    `apigw ${APIGW_VERSION}: the Kyma API Gateway module as one binary`,
    "",
    "Usage: apigw <command> [options]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    'Run "apigw <command> --help" for the options of a command.',
    "",
  ].join("\n");
}

/** Runs the subcommand named by `args[0]`; returns the process exit code. */
export async function runCli(args: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout(topHelp());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === "--version") return await versionCommand.run([], io);
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr(`apigw: unknown command "${name}"\n${topHelp()}`);
    return EXIT_USAGE;
  }
  return await command.run(rest, io);
}
