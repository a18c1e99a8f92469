/**
 * Where the Redis of the rate limits is (issue 20): one URL names a standalone server, a
 * Sentinel group or a Cluster; credentials come from the URL, a file or the environment, and
 * every printable form of the URL hides them.
 *
 * - `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` (`rediss://`: TLS)
 * - `redis+sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]…]/MASTER_NAME[/DB]`
 * - `redis+cluster://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]…]` (seed nodes)
 *
 * `rediss+sentinel://` and `rediss+cluster://` use TLS to every node (and sentinel).
 */
import type { Result } from "../../config.ts";

export type RedisTopology = "standalone" | "sentinel" | "cluster";

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export interface RedisTarget {
  readonly topology: RedisTopology;
  readonly tls: boolean;
  /** The server (standalone), the sentinels, or the cluster's seed nodes. */
  readonly nodes: readonly RedisNode[];
  /** The Sentinel master name. */
  readonly masterName?: string;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  /** PEM CA certificates that sign the servers' certificates (TLS only). */
  readonly ca?: string;
  /** Most calls pending at once (`--redis-max-pending`); the store's default without it. */
  readonly maxPending?: number;
  /** The URL with the password replaced by `***`: the only form logs and errors may show. */
  readonly redacted: string;
}

const URL_FORM = /^(rediss?)(?:\+(sentinel|cluster))?:\/\/(?:(.*)@)?([^@/?#]+)(?:\/([^?#]*))?$/;

const DEFAULT_PORT: Record<RedisTopology, number> = {
  standalone: 6379,
  sentinel: 26379,
  cluster: 6379,
};

/** Parses a Redis URL of one of the forms above; the error never contains the password. */
export function parseRedisUrl(raw: string): Result<RedisTarget, string> {
  const redacted = redactRedisUrl(raw);
  const match = URL_FORM.exec(raw);
  if (match === null) {
    return {
      ok: false,
      error:
        `"${redacted}" is not a redis://, rediss://, redis+sentinel:// or redis+cluster:// URL`,
    };
  }
  const [, scheme = "", kind, userinfo, hostList = "", path = ""] = match;
  const topology: RedisTopology = kind === "sentinel" || kind === "cluster" ? kind : "standalone";
  const nodes: RedisNode[] = [];
  for (const part of hostList.split(",")) {
    const node = parseNode(part, DEFAULT_PORT[topology]);
    if (node === undefined) {
      return { ok: false, error: `"${redacted}": "${part}" is not HOST or HOST:PORT` };
    }
    nodes.push(node);
  }
  if (topology === "standalone" && nodes.length > 1) {
    return {
      ok: false,
      error:
        `"${redacted}" names ${nodes.length} hosts: use redis+sentinel:// or redis+cluster:// for several`,
    };
  }
  const segments = path === "" ? [] : path.split("/");
  let masterName: string | undefined;
  if (topology === "sentinel") {
    masterName = decode(segments.shift() ?? "");
    if (masterName === undefined || masterName === "") {
      return { ok: false, error: `"${redacted}" needs the master name: …/MASTER_NAME` };
    }
  }
  let db = 0;
  if (segments.length > 0 && !(segments.length === 1 && segments[0] === "")) {
    const text = segments.join("/");
    if (topology === "cluster") {
      return { ok: false, error: `"${redacted}": a Redis Cluster has no database "${text}"` };
    }
    db = Number(text);
    if (!/^[0-9]{1,5}$/.test(text)) {
      return { ok: false, error: `"${redacted}": "${text}" is not a database number` };
    }
  }
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    const user = decode(colon < 0 ? "" : userinfo.slice(0, colon));
    const secret = decode(colon < 0 ? userinfo : userinfo.slice(colon + 1));
    if (user === undefined || secret === undefined) {
      return { ok: false, error: `"${redacted}": the credentials are not percent-encoded` };
    }
    if (user !== "") username = user;
    if (secret !== "") password = secret;
  }
  return {
    ok: true,
    value: {
      topology,
      tls: scheme === "rediss",
      nodes,
      ...(masterName !== undefined ? { masterName } : {}),
      db,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      redacted,
    },
  };
}

/** `raw` with the password (everything between the first `:` of the userinfo and `@`) hidden. */
export function redactRedisUrl(raw: string): string {
  const start = raw.indexOf("://");
  if (start < 0) return raw.includes("@") ? "***" : raw;
  const rest = raw.slice(start + 3);
  const slash = rest.search(/[/?#]/);
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf("@");
  if (at < 0) return raw;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(":");
  const shown = colon < 0 ? "***" : `${userinfo.slice(0, colon)}:***`;
  return `${raw.slice(0, start + 3)}${shown}${rest.slice(at)}`;
}

export interface RedisSecretsOptions {
  /** A file holding the password (trailing newline ignored); wins over the URL's. */
  passwordFile?: string | undefined;
  /** PEM CA file for `rediss` URLs. */
  caFile?: string | undefined;
}

/**
 * The target of `raw` with its password from `passwordFile`, else `APIGW_REDIS_PASSWORD` (and
 * `APIGW_REDIS_USERNAME`), else the URL; the CA from `caFile`. Every problem is one message.
 */
export async function resolveRedisTarget(
  raw: string,
  options: RedisSecretsOptions,
  env: (name: string) => string | undefined,
): Promise<Result<RedisTarget, string>> {
  const parsed = parseRedisUrl(raw);
  if (!parsed.ok) return parsed;
  return await withRedisSecrets(parsed.value, options, env);
}

/** `resolveRedisTarget()` for a parsed target. */
export async function withRedisSecrets(
  parsed: RedisTarget,
  options: RedisSecretsOptions,
  env: (name: string) => string | undefined,
): Promise<Result<RedisTarget, string>> {
  let target = parsed;
  const envUser = env("APIGW_REDIS_USERNAME");
  if (envUser !== undefined && envUser !== "") target = { ...target, username: envUser };
  const envPassword = env("APIGW_REDIS_PASSWORD");
  if (envPassword !== undefined && envPassword !== "") {
    target = { ...target, password: envPassword };
  }
  if (options.passwordFile !== undefined) {
    const text = await readText(options.passwordFile, "the Redis password file");
    if (!text.ok) return text;
    const password = text.value.replace(/\r?\n$/, "");
    if (password === "") {
      return { ok: false, error: `The Redis password file "${options.passwordFile}" is empty` };
    }
    target = { ...target, password };
  }
  if (options.caFile !== undefined) {
    if (!target.tls) {
      return {
        ok: false,
        error: `A Redis CA file needs a rediss:// URL, not "${target.redacted}"`,
      };
    }
    const text = await readText(options.caFile, "the Redis CA file");
    if (!text.ok) return text;
    if (!text.value.includes("-----BEGIN CERTIFICATE-----")) {
      return { ok: false, error: `The Redis CA file "${options.caFile}" holds no PEM certificate` };
    }
    target = { ...target, ca: text.value };
  }
  return { ok: true, value: target };
}

/** `text` with every occurrence of the target's password replaced by `***`. */
export function hideSecret(text: string, target: RedisTarget): string {
  const secret = target.password;
  return secret === undefined || secret.length < 1 ? text : text.split(secret).join("***");
}

function parseNode(text: string, defaultPort: number): RedisNode | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?$/.exec(text);
  if (match === null) return undefined;
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  const host = match[1]!.startsWith("[") ? match[1]!.slice(1, -1) : match[1]!;
  return { host, port };
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

async function readText(path: string, what: string): Promise<Result<string, string>> {
  try {
    return { ok: true, value: await Deno.readTextFile(path) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `Cannot read ${what} "${path}": ${reason}` };
  }
}
