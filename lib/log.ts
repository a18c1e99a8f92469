/**
 * Structured JSON logger: one event per line with `level`, `msg`, then key/values.
 *
 * Values under keys that name credentials (tokens, cookies, Authorization headers, Secret data)
 * are replaced by `"[redacted]"`, so a careless call site cannot leak them.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every event it writes. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to stderr so stdout stays free for command output. */
  write?: (line: string) => void;
  /** Clock for the `time` field; tests pass a fixed one. */
  now?: () => Date;
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// Matched case-insensitively against field names, at any depth.
const SECRET_KEY = /(token|authorization|cookie|password|secret|credential|private.?key|^data$)/i;

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Tells whether `value` names a log level. */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Creates a JSON-lines logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const min = LEVEL_ORDER[options.level ?? "info"];
  const write = options.write ?? writeStderr;
  const now = options.now ?? (() => new Date());
  return build({});

  function build(base: LogFields): Logger {
    function emit(level: LogLevel, msg: string, fields?: LogFields): void {
      if (LEVEL_ORDER[level] < min) return;
      const event = { time: now().toISOString(), level, msg, ...base, ...fields };
      write(JSON.stringify(event, redact));
    }
    return {
      debug: (msg, fields) => emit("debug", msg, fields),
      info: (msg, fields) => emit("info", msg, fields),
      warn: (msg, fields) => emit("warn", msg, fields),
      error: (msg, fields) => emit("error", msg, fields),
      child: (fields) => build({ ...base, ...fields }),
    };
  }
}

function redact(key: string, value: unknown): unknown {
  if (key !== "" && SECRET_KEY.test(key) && value !== undefined && value !== null) {
    return "[redacted]";
  }
  if (value instanceof Error) {
    return { name: value.name, message: value.message };
  }
  return value;
}

const encoder = new TextEncoder();

function writeStderr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}
