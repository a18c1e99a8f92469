/**
 * Flags and environment variables, parsed once into a frozen, typed value per command.
 *
 * Each command declares its options as data (`OptionSpec`); `parseOptions()` reads the flags,
 * falls back to the named environment variable, then to the default, validates every value and
 * returns every problem at once, so bad config stops startup with the complete list.
 */
import { parseArgs } from "node:util";
import { isLogLevel, type LogLevel } from "./lib/log.ts";

import type { Result } from "./api/result.ts";

export type { Result };

interface BaseSpec {
  /** One line for `--help`. */
  help: string;
  /** Environment variable read when the flag is absent. */
  env?: string;
  short?: string;
}

export interface StringSpec<T> extends BaseSpec {
  type: "string";
  default?: string;
  /** Turns the raw text into the value, or says why it cannot. */
  parse: (raw: string) => Result<T, string>;
}

export interface ListSpec extends BaseSpec {
  type: "list";
}

export interface BoolSpec extends BaseSpec {
  type: "boolean";
}

// deno-lint-ignore no-explicit-any
export type OptionSpec = StringSpec<any> | ListSpec | BoolSpec;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type ValueOf<S> = S extends StringSpec<infer T>
  ? (S extends { default: string } ? T : T | undefined)
  : S extends ListSpec ? string[]
  : boolean;

/** The parsed, frozen options of a command: one field per declared option, plus positionals. */
export type Options<S extends OptionSpecs> =
  & { readonly [K in keyof S]: ValueOf<S[K]> }
  & { readonly positionals: readonly string[] };

/** Parses `args` (and `env` where a flag is absent) against `specs`; returns every problem. */
export function parseOptions<S extends OptionSpecs>(
  specs: S,
  args: readonly string[],
  env: (name: string) => string | undefined,
): Result<Options<S>, string[]> {
  const parseSpec: Record<
    string,
    { type: "string" | "boolean"; multiple?: boolean; short?: string }
  > = {};
  for (const [name, spec] of Object.entries(specs)) {
    parseSpec[name] = {
      type: spec.type === "boolean" ? "boolean" : "string",
      ...(spec.type === "list" ? { multiple: true } : {}),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: parseSpec,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return { ok: false, error: [error instanceof Error ? error.message : String(error)] };
  }
  const problems: string[] = [];
  const out: Record<string, unknown> = { positionals: Object.freeze([...parsed.positionals]) };
  for (const [name, spec] of Object.entries(specs)) {
    const given: unknown = parsed.values[name];
    if (spec.type === "boolean") {
      out[name] = given === true || (given === undefined && spec.env !== undefined &&
        ["1", "true", "yes"].includes(env(spec.env) ?? ""));
      continue;
    }
    if (spec.type === "list") {
      const list = Array.isArray(given) ? given.map(String) : [];
      const fromEnv = spec.env === undefined ? undefined : env(spec.env);
      out[name] = Object.freeze(
        list.length > 0 || fromEnv === undefined ? list : fromEnv.split(",").filter(Boolean),
      );
      continue;
    }
    const raw = typeof given === "string"
      ? given
      : (spec.env !== undefined ? env(spec.env) : undefined) ?? spec.default;
    if (raw === undefined) {
      out[name] = undefined;
      continue;
    }
    const value = spec.parse(raw);
    if (value.ok) out[name] = value.value;
    else problems.push(`Option --${name}${spec.env ? ` (${spec.env})` : ""}: ${value.error}`);
  }
  if (problems.length > 0) return { ok: false, error: problems };
  // The cast is the one place where the declared specs meet the values built from them.
  return { ok: true, value: Object.freeze(out) as Options<S> };
}

/** Formats the option table for `--help`. */
export function optionsHelp(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : "    "}--${name}${
      spec.type === "boolean" ? "" : " VALUE"
    }`;
    const extra = [
      spec.type === "string" && spec.default !== undefined ? `default: ${spec.default}` : "",
      spec.type === "list" ? "repeatable" : "",
      spec.env ? `env: ${spec.env}` : "",
    ].filter(Boolean).join("; ");
    return [flag, spec.help + (extra ? ` (${extra})` : "")];
  });
  const width = Math.max(...rows.map(([flag]) => flag!.length), 0) + 2;
  return rows.map(([flag, help]) => `  ${flag!.padEnd(width)}${help}`).join("\n");
}

/** A plain string option. */
export function text(raw: string): Result<string, string> {
  return raw.length > 0 ? { ok: true, value: raw } : { ok: false, error: "must not be empty" };
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(words: readonly T[]): (raw: string) => Result<T, string> {
  return (raw) =>
    (words as readonly string[]).includes(raw)
      ? { ok: true, value: raw as T }
      : { ok: false, error: `"${raw}" is not one of ${words.map((w) => `"${w}"`).join(", ")}` };
}

/** A log level name. */
export function logLevel(raw: string): Result<LogLevel, string> {
  return isLogLevel(raw)
    ? { ok: true, value: raw }
    : { ok: false, error: `"${raw}" is not one of "debug", "info", "warn", "error"` };
}

/** The `--log-level` option every long-running command takes. */
export const LOG_LEVEL_OPTION: StringSpec<LogLevel> = {
  type: "string",
  help: "Lowest level of log events written to stderr",
  env: "APIGW_LOG_LEVEL",
  // info: reconcile results and decisions are visible without the per-event chatter.
  default: "info",
  parse: logLevel,
};

/** `-h/--help`, accepted by every command. */
export const HELP_OPTION: BoolSpec = { type: "boolean", short: "h", help: "Show this help" };
