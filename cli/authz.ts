/**
 * `apigw authz`: the Envoy HTTP ext_authz service. Rules and RateLimits come from a folder
 * (`--config DIR`, watched for changes) or from the cluster (APIRule, Gateway, RateLimit and Pod
 * informers); global rate limits use Redis with `--redis-url`; checks are served on
 * `--listen`, `/healthz`, `/readyz` and `/metrics` on `--management-listen`. SIGINT/SIGTERM stop
 * both listeners gracefully (in-flight checks finish) and end the JWKS fetches.
 */
import {
  HELP_OPTION,
  LOG_LEVEL_OPTION,
  oneOf,
  type Options,
  type Result,
  text,
} from "../config.ts";
import { createLogger, type Logger } from "../lib/log.ts";

import { type AuthzServerSettings, type AuthzSource, runAuthz } from "../proxy/authz_server.ts";
import { dashboardListenOption } from "./dashboard_option.ts";
import { clusterSource } from "../proxy/cluster_source.ts";
import { type HandlerDefaults, handlerDefaultsOf } from "../core/authz/oathkeeper/strategies.ts";
import { parse } from "yaml";
import { folderSource } from "../proxy/rule_source.ts";
import { createConfigReader } from "../proxy/config_reader.ts";
import { CONFIG_MAX_FILE_OPTION, CONFIG_MAX_FOLDER_OPTION, configCaps } from "./limit_options.ts";
import { createKubeClient } from "../kube/client.ts";
import { loadConnection } from "../kube/connection.ts";
import { type Command, EXIT_FINDINGS, EXIT_OK, usageError } from "./command.ts";
import { REDIS_CONNECTION_OPTIONS, redisUrlOption, withRedisFlags } from "./redis_flags.ts";
import { commandOptions, ESCAPED_SLASHES_OPTION, NORMALIZATION_OPTION } from "./options.ts";
import { configMapRef, startRlsFromFlags } from "./authz_rls.ts";
import { GRPC_LIMIT_OPTIONS, grpcListenerLimits } from "./grpc_limit_options.ts";

/** `host:port`, port 0 meaning any free port. */
export function listenAddress(raw: string): Result<{ hostname: string; port: number }, string> {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:]+):(\d{1,5})$/.exec(raw);
  const port = Number(match?.[2]);
  if (match === null || port > 65535) return { ok: false, error: `"${raw}" is not HOST:PORT` };
  return { ok: true, value: { hostname: match[1]!.replace(/^\[|\]$/g, ""), port } };
}

function positiveInt(raw: string): Result<number, string> {
  const value = Number(raw);
  return Number.isSafeInteger(value) && value > 0
    ? { ok: true, value }
    : { ok: false, error: `"${raw}" is not a positive integer` };
}

function nonNegativeInt(raw: string): Result<number, string> {
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= 0
    ? { ok: true, value }
    : { ok: false, error: `"${raw}" is not a non-negative integer` };
}

function pathPrefix(raw: string): Result<string, string> {
  if (raw === "") return { ok: true, value: "" };
  return /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/.test(raw) && !raw.endsWith("/")
    ? { ok: true, value: raw }
    : { ok: false, error: `"${raw}" must start with / and not end with /` };
}

function listenSpec(help: string, env: string, fallback: string) {
  return { type: "string", help, env, default: fallback, parse: listenAddress } as const;
}

const OPTIONS = {
  help: HELP_OPTION,
  config: {
    type: "string",
    help:
      "Folder of APIRules, RateLimits (and Gateways, Pods) to decide from; without it, watch the cluster",
    env: "APIGW_AUTHZ_CONFIG",
    parse: text,
  },
  "config-max-file-bytes": CONFIG_MAX_FILE_OPTION,
  "config-max-folder-bytes": CONFIG_MAX_FOLDER_OPTION,
  // Loopback unless told otherwise: the check port must only be reachable from Envoy (§8 #26).
  listen: listenSpec("Address of the ext_authz listener", "APIGW_AUTHZ_LISTEN", "127.0.0.1:8080"),
  "management-listen": listenSpec(
    "Address of /healthz, /readyz and /metrics (kept off the check listener)",
    "APIGW_AUTHZ_MANAGEMENT_LISTEN",
    "127.0.0.1:9091",
  ),
  "dashboard-listen": dashboardListenOption("APIGW_AUTHZ_DASHBOARD_LISTEN", listenAddress),
  "path-prefix": {
    type: "string",
    help: "Istio pathPrefix of the extension provider: stripped from every check path",
    env: "APIGW_AUTHZ_PATH_PREFIX",
    default: "",
    parse: pathPrefix,
  },
  "provider-name": {
    type: "string",
    help: "Name of this service in the mesh extensionProviders (extAuth authorizers name it)",
    env: "APIGW_AUTHZ_PROVIDER_NAME",
    default: "apigw-authz",
    parse: text,
  },
  normalization: NORMALIZATION_OPTION,
  "escaped-slashes": ESCAPED_SLASHES_OPTION,
  "missing-token-status": {
    type: "string",
    help: "Status for a missing token: 401 (RFC 6750) or 403 (Istio's answer)",
    default: "401",
    parse: oneOf(["401", "403"] as const),
  },
  "deadline-ms": {
    type: "string",
    help: "Budget of one decision, JWKS fetches included; past it the answer is 503",
    // Well under Envoy's timeouts, and above a JWKS fetch on a slow but healthy IdP.
    default: "1000",
    parse: positiveInt,
  },
  "token-cache-entries": {
    type: "string",
    help: "Verified-token cache size (0 disables it: every check verifies its signature)",
    // Some thousand active clients per replica; an entry is a few hundred bytes.
    default: "10000",
    parse: nonNegativeInt,
  },
  "handler-defaults": {
    type: "string",
    help:
      "YAML/JSON file with defaults of v1beta1 handler configs, in Oathkeeper's config-file shape (authenticators.<h>.config, mutators.<h>.config)",
    env: "APIGW_AUTHZ_HANDLER_DEFAULTS",
    parse: text,
  },
  "id-token-secret-file": {
    type: "string",
    help:
      "File with the secret (≥ 32 bytes) id_token keys are derived from; replicas sharing it sign alike (default: random per process)",
    env: "APIGW_AUTHZ_ID_TOKEN_SECRET_FILE",
    parse: text,
  },
  "id-token-rotate-hours": {
    type: "string",
    help: "Period of an id_token signing key; the JWKS also lists the previous and the next key",
    // A day: much longer than any id_token TTL, short enough to limit a leaked key's use.
    default: "24",
    parse: positiveInt,
  },
  "debug-header": {
    type: "boolean",
    help: "Add x-apigw-decision (step, reason, rule) to every answer",
  },
  "redis-url": {
    type: "string",
    help:
      "Redis shared by every replica for RateLimit spec.global (redis[s]://, redis[s]+sentinel://H:P,…/MASTER, redis[s]+cluster://H:P,…); without it, buckets are per process",
    env: "APIGW_REDIS_URL",
    parse: redisUrlOption,
  },
  ...REDIS_CONNECTION_OPTIONS,
  "redis-timeout-ms": {
    type: "string",
    help: "Budget of one Redis call; past it the bucket's failureMode applies",
    // Redis answers in well under a millisecond in-cluster; 50 ms leaves room for a busy node
    // while keeping a sick Redis far from the 1 s ext_authz timeout.
    default: "50",
    parse: positiveInt,
  },
  "ratelimit-local-keys": {
    type: "string",
    help: "Most rate limit keys kept in process memory (in-memory buckets, known-empty keys)",
    // A key is a few hundred bytes: 100k keys stay in tens of MB under random keys (§8 #32).
    default: "100000",
    parse: positiveInt,
  },
  kubeconfig: {
    type: "string",
    help: "Kubeconfig for cluster mode; default: KUBECONFIG, else in-cluster",
    env: "KUBECONFIG",
    parse: text,
  },
  "ratelimit-prereject-ms": {
    type: "string",
    help: "How long a key found empty is rejected from memory without asking Redis (0: never)",
    // One Redis call per empty key and second and replica under a flood, and a raised limit
    // counts within a second.
    default: "1000",
    parse: nonNegativeInt,
  },
  "grpc-listen": {
    type: "string",
    help:
      "Address of the gRPC ext_authz listener (envoy.service.auth.v3.Authorization/Check and grpc.health.v1), same decisions as --listen; off without it",
    env: "APIGW_AUTHZ_GRPC_LISTEN",
    parse: listenAddress,
  },
  "grpc-max-message-bytes": {
    type: "string",
    help: "Most bytes of one gRPC message on --grpc-listen; larger ones get RESOURCE_EXHAUSTED",
    // A CheckRequest is a few KiB of headers; 1 MiB bounds a hostile one without refusing Envoy's.
    default: "1048576",
    parse: positiveInt,
  },
  "grpc-http2": {
    type: "string",
    help:
      "HTTP/2 layer of --grpc-listen and --rls-listen: apigw (its own over Deno.listen, hardened and faster) or node (node:http2, the layer it replaced)",
    env: "APIGW_AUTHZ_GRPC_HTTP2",
    default: "apigw",
    parse: oneOf(["apigw", "node"] as const),
  },
  ...GRPC_LIMIT_OPTIONS,
  "rls-listen": {
    type: "string",
    help:
      "Address of the gRPC listener of envoy.service.ratelimit.v3.RateLimitService (and grpc.health.v1); off without it",
    env: "APIGW_AUTHZ_RLS_LISTEN",
    parse: listenAddress,
  },
  "rls-config": {
    type: "string",
    help: "Folder of envoyproxy/ratelimit config files (one domain each), reloaded on change",
    env: "APIGW_AUTHZ_RLS_CONFIG",
    parse: text,
  },
  "rls-configmap": {
    type: "string",
    help: "NAMESPACE/NAME of a ConfigMap whose *.yaml keys are the rate limit config, watched",
    env: "APIGW_AUTHZ_RLS_CONFIGMAP",
    parse: configMapRef,
  },
  "rls-response-headers": {
    type: "boolean",
    help: "Add x-ratelimit-limit, -remaining and -reset to rate limit responses",
  },
  "rls-failure-mode": {
    type: "string",
    help:
      "Answer when Redis fails: error (UNAVAILABLE, Envoy's failure_mode_deny decides), allow or deny",
    default: "error",
    parse: oneOf(["error", "allow", "deny"] as const),
  },
  "log-level": LOG_LEVEL_OPTION,
} as const;

export const authzCommand: Command = {
  name: "authz",
  summary: "Serve Envoy ext_authz decisions for APIRules and global RateLimits",
  usage:
    "authz [--config DIR] [--listen HOST:PORT] [--grpc-listen HOST:PORT] [--management-listen HOST:PORT] [--path-prefix P] [--redis-url URL]",
  description: [
    "Answers Envoy/Istio HTTP ext_authz checks: 200 to allow, or a deny with status, problem",
    "body and WWW-Authenticate for the client. The rule that applies is the one the APIRule's",
    "VirtualService routes to (host, method, canonical path); noAuth, jwt and extAuth rules naming",
    "--provider-name are decided here, and APIRule v1beta1 rules (Oathkeeper access strategies and",
    "mutators, for `jwtHandler: apigw`). id_token keys are served at /.well-known/jwks.json on the",
    "management listener.",
    "",
    "With --config the objects in DIR (YAML or JSON, reloaded on change) are the rules; otherwise",
    "APIRules, Gateways, RateLimits and Pods are watched in the cluster. Invalid objects are logged",
    "and skipped; an unreadable folder keeps the last good rules.",
    "",
    "RateLimits with spec.global are enforced for checks from the Pods they select (by the check's",
    "peer address): one token per allowed check, from Redis with --redis-url (shared by every",
    "replica), else from per-process buckets; 429 with Retry-After and RateLimit fields when empty.",
    "",
    "With --grpc-listen it also answers Envoy's gRPC ext_authz (envoy.service.auth.v3.Authorization,",
    "grpc.health.v1) on a listener of its own, with the same decisions, reasons and headers as the",
    "HTTP check: every decision is a CheckResponse (denies fail closed), an RPC error only for",
    "malformed messages and overload (Envoy's failure_mode_allow decides those).",
    "",
    "With --rls-listen it also serves Envoy's global rate limit service over gRPC",
    "(envoy.service.ratelimit.v3.RateLimitService, grpc.health.v1) from envoyproxy/ratelimit config",
    "files in --rls-config DIR or ConfigMap --rls-configmap NS/NAME, counting in the same Redis.",
    "",
    "Example: apigw authz --config ./rules --listen 127.0.0.1:8080 --path-prefix /ext-authz",
  ].join("\n"),
  options: OPTIONS,
  async run(args, io) {
    const parsed = commandOptions(authzCommand, OPTIONS, args, io);
    if ("exit" in parsed) return parsed.exit;
    let options = parsed.options;
    if (options.positionals.length > 0) {
      return usageError(authzCommand, [`Unexpected argument "${options.positionals[0]}"`], io);
    }
    const log = createLogger({
      level: options["log-level"] ?? "info",
      write: (line) => io.stderr(line + "\n"),
    });
    const redis = await withRedisFlags(options, io.env);
    if (!redis.ok) {
      io.stderr(`apigw authz: ${redis.error}\n`);
      return EXIT_FINDINGS;
    }
    options = redis.value;
    const oathkeeper = await oathkeeperSettings(options);
    if (!oathkeeper.ok) {
      io.stderr(`apigw authz: ${oathkeeper.error}\n`);
      return EXIT_FINDINGS;
    }
    const source = await ruleSource(options, oathkeeper.value.defaults, { env: io.env, log });
    if (!source.ok) {
      io.stderr(`apigw authz: ${source.error}\n`);
      return EXIT_FINDINGS;
    }
    const served = await runAuthz(
      serverSettings(options, oathkeeper.value, io.env),
      source.value,
      log,
      io.signal,
    );
    return served ? EXIT_OK : EXIT_FINDINGS;
  },
};

type AuthzOptions = Options<typeof OPTIONS>;

/** How long startup waits for a first Redis connection before serving without it. */

async function ruleSource(
  options: AuthzOptions,
  handlerDefaults: HandlerDefaults | undefined,
  { env, log }: { env: (name: string) => string | undefined; log: Logger },
): Promise<Result<AuthzSource, string>> {
  if (options.config !== undefined) {
    // Read, parsed and compiled in a worker, within the size caps.
    const reader = createConfigReader(configCaps(options), {
      log,
      compile: {
        kind: "authz",
        providerName: options["provider-name"],
        ...(handlerDefaults !== undefined ? { handlerDefaults } : {}),
      },
    });
    // Bad config stops startup; later bad reloads keep the last good index.
    const first = await reader.read(options.config);
    if (!first.ok) {
      reader.close();
      return first;
    }
    const source = folderSource(options.config, { read: reader.read });
    return { ok: true, value: { ...source, close: reader.close, metrics: reader.renderMetrics } };
  }
  const connection = await loadConnection(options.kubeconfig, env);
  if (!connection.ok) return connection;
  const client = createKubeClient(connection.value, { userAgent: "apigw-authz" });
  return { ok: true, value: { ...clusterSource(client, log), close: () => client.close() } };
}

interface OathkeeperSettings {
  defaults?: HandlerDefaults;
  secret?: Uint8Array;
}

/** The v1beta1 handler defaults and the id_token secret; a bad file stops startup. */
async function oathkeeperSettings(
  options: AuthzOptions,
): Promise<Result<OathkeeperSettings, string>> {
  const settings: OathkeeperSettings = {};
  const file = options["handler-defaults"];
  if (file !== undefined) {
    let parsed: unknown;
    try {
      parsed = parse(await Deno.readTextFile(file));
    } catch (error) {
      return { ok: false, error: `Cannot read handler defaults "${file}": ${String(error)}` };
    }
    const defaults = handlerDefaultsOf(parsed);
    if (defaults === undefined) {
      return { ok: false, error: `Handler defaults "${file}" must map authenticators/mutators` };
    }
    settings.defaults = defaults;
  }
  const secretFile = options["id-token-secret-file"];
  if (secretFile !== undefined) {
    try {
      settings.secret = await Deno.readFile(secretFile);
    } catch (error) {
      return { ok: false, error: `Cannot read id_token secret "${secretFile}": ${String(error)}` };
    }
    if (settings.secret.byteLength < 32) {
      return { ok: false, error: `id_token secret "${secretFile}" has fewer than 32 bytes` };
    }
  }
  return { ok: true, value: settings };
}

/** The settings of `runAuthz` from the flags. */
function serverSettings(
  options: AuthzOptions,
  oathkeeper: OathkeeperSettings,
  env: (name: string) => string | undefined,
): AuthzServerSettings {
  return {
    listen: options.listen,
    managementListen: options["management-listen"],
    ...(options["dashboard-listen"] !== undefined
      ? { dashboardListen: options["dashboard-listen"] }
      : {}),
    providerName: options["provider-name"],
    ...(oathkeeper.defaults !== undefined ? { handlerDefaults: oathkeeper.defaults } : {}),
    ...(oathkeeper.secret !== undefined ? { idTokenSecret: oathkeeper.secret } : {}),
    idTokenRotateMs: options["id-token-rotate-hours"] * 3_600_000,
    tokenCacheEntries: options["token-cache-entries"],
    limiting: {
      redisUrl: options["redis-url"],
      redisTimeoutMs: options["redis-timeout-ms"],
      localKeys: options["ratelimit-local-keys"],
      preRejectMs: options["ratelimit-prereject-ms"],
    },
    check: {
      pathPrefix: options["path-prefix"],
      canonical: {
        normalization: options.normalization,
        escapedSlashes: options["escaped-slashes"],
      },
      pipeline: {
        realm: "apigw",
        missingTokenStatus: options["missing-token-status"] === "403" ? 403 : 401,
      },
      debugHeader: options["debug-header"],
      deadlineMs: options["deadline-ms"],
      logAllowed: options["log-level"] === "debug",
      maxHeaderBytes: 16 * 1024,
    },
    ...(options["grpc-listen"] !== undefined ? { grpcListen: options["grpc-listen"] } : {}),
    grpcMaxMessageBytes: options["grpc-max-message-bytes"],
    grpcHttp2: options["grpc-http2"],
    grpcLimits: grpcListenerLimits(options),
    sourceName: options.config ?? "cluster",
    startRls: (log) =>
      startRlsFromFlags(
        {
          listen: options["rls-listen"],
          configDir: options["rls-config"],
          configMap: options["rls-configmap"],
          kubeconfig: options.kubeconfig,
          redisUrl: options["redis-url"],
          redisTimeoutMs: options["redis-timeout-ms"],
          localKeys: options["ratelimit-local-keys"],
          responseHeaders: options["rls-response-headers"],
          failureMode: options["rls-failure-mode"],
          http2: options["grpc-http2"],
          limits: grpcListenerLimits(options),
        },
        env,
        log,
      ),
  };
}
