/**
 * The shape every `apigw` subcommand has, and the I/O it is given.
 *
 * Commands never read `Deno.args` or the environment themselves: `main.ts` hands them their
 * arguments and an `env` reader, and they return an exit code (0 ok, 1 findings, 2 usage).
 */
import { optionsHelp, type OptionSpecs } from "../config.ts";

export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  env(name: string): string | undefined;
  /** Aborted on SIGINT/SIGTERM; long-running commands stop when it fires. */
  signal: AbortSignal;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The synopsis line(s) after `apigw`. */
  usage: string;
  /** Paragraphs printed after the usage line. */
  description?: string;
  options: OptionSpecs;
  run(args: readonly string[], io: CommandIO): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

/** The `--help` text of one command. */
export function commandHelp(command: Command): string {
  return [
    `Usage: apigw ${command.usage}`,
    "",
    command.summary,
    ...(command.description ? ["", command.description] : []),
    "",
    "Options:",
    optionsHelp(command.options),
    "",
  ].join("\n");
}

/** Prints the option problems and a pointer to `--help`; returns the usage exit code. */
export function usageError(command: Command, problems: readonly string[], io: CommandIO): number {
  for (const problem of problems) io.stderr(`apigw ${command.name}: ${problem}\n`);
  io.stderr(`Run "apigw ${command.name} --help" for usage\n`);
  return EXIT_USAGE;
}
