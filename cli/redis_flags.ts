/**
 * The Redis flags shared by `apigw authz` and `apigw serve` (issue 20): the URL forms of
 * proxy/ratelimit/redis_url.ts, a CA file for TLS, a password file, the pending-call cap.
 */
import type { Result } from "../config.ts";
import { parseRedisUrl, type RedisTarget, withRedisSecrets } from "../proxy/ratelimit/redis_url.ts";

/** `--redis-url`'s parser: a target without the file secrets yet; errors hide the password. */
export function redisUrlOption(raw: string): Result<RedisTarget, string> {
  return parseRedisUrl(raw);
}

function positive(raw: string): Result<number, string> {
  const value = Number(raw);
  return Number.isSafeInteger(value) && value > 0
    ? { ok: true, value }
    : { ok: false, error: `"${raw}" is not a positive integer` };
}

function path(raw: string): Result<string, string> {
  return raw === "" ? { ok: false, error: "must not be empty" } : { ok: true, value: raw };
}

export const REDIS_CONNECTION_OPTIONS = {
  "redis-ca-file": {
    type: "string",
    help: "PEM CA file that signs the Redis servers' certificates (rediss:// URLs)",
    env: "APIGW_REDIS_CA_FILE",
    parse: path,
  },
  "redis-password-file": {
    type: "string",
    help: "File holding the Redis password (wins over APIGW_REDIS_PASSWORD and the URL's password)",
    env: "APIGW_REDIS_PASSWORD_FILE",
    parse: path,
  },
  "redis-max-pending": {
    type: "string",
    help: "Most Redis calls pending at once; past it a check gets its bucket's failureMode",
    // Far above what a healthy Redis keeps pending (two batches in flight), low enough that a
    // hung Redis cannot pile up memory.
    default: "1000",
    parse: positive,
  },
} as const;

export interface RedisFlagValues {
  "redis-url"?: RedisTarget | undefined;
  "redis-ca-file"?: string | undefined;
  "redis-password-file"?: string | undefined;
  "redis-max-pending": number;
}

/** `options` with `redis-url` completed by the files, the environment and the cap. */
export async function withRedisFlags<O extends RedisFlagValues>(
  options: O,
  env: (name: string) => string | undefined,
): Promise<Result<O, string>> {
  const target = options["redis-url"];
  if (target === undefined) {
    return options["redis-ca-file"] !== undefined || options["redis-password-file"] !== undefined
      ? { ok: false, error: "--redis-ca-file and --redis-password-file need --redis-url" }
      : { ok: true, value: options };
  }
  const resolved = await withRedisSecrets(target, {
    caFile: options["redis-ca-file"],
    passwordFile: options["redis-password-file"],
  }, env);
  if (!resolved.ok) return resolved;
  const value = { ...resolved.value, maxPending: options["redis-max-pending"] };
  return { ok: true, value: { ...options, "redis-url": value } };
}
