/**
 * `apigw serve`: the embedded gateway. APIRules (any version), RateLimits and ExternalName
 * Services from a folder (default: the bundled quickstart), served as a reverse proxy with the
 * routing and security of the rendered Istio config; reloaded on change. `/healthz`, `/readyz`
 * and `/metrics` on `--management-listen`. SIGINT/SIGTERM drain in-flight requests, then stop.
 */
import { fileURLToPath } from "node:url";
import {
  HELP_OPTION,
  LOG_LEVEL_OPTION,
  oneOf,
  type Options,
  parseOptions,
  type Result,
  text,
} from "../config.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import { PATH_NORMALIZATIONS } from "../core/authz/canonical.ts";
import { createConfigReader } from "../proxy/config_reader.ts";
import { CONFIG_MAX_FILE_OPTION, CONFIG_MAX_FOLDER_OPTION, configCaps } from "./limit_options.ts";
import { runGateway } from "../proxy/gateway/server.ts";
import { listenAddress } from "./authz.ts";
import { dashboardListenOption } from "./dashboard_option.ts";
import { type Command, commandHelp, EXIT_FINDINGS, EXIT_OK, usageError } from "./command.ts";
import { REDIS_CONNECTION_OPTIONS, redisUrlOption, withRedisFlags } from "./redis_flags.ts";

/** The bundled example the README's start command serves. */
export const QUICKSTART_DIR = fileURLToPath(new URL("../examples/quickstart", import.meta.url));
/** Where the quickstart's demo upstream listens (its Service and JWKS URI name this port). */
const QUICKSTART_UPSTREAM = "127.0.0.1:8081";

function byteSize(raw: string): Result<number, string> {
  const match = /^(\d+)(Ki|Mi)?$/.exec(raw);
  if (match === null) {
    return { ok: false, error: `"${raw}" is not a size like 65536, 64Ki or 10Mi` };
  }
  const unit = match[2] === "Ki" ? 1024 : match[2] === "Mi" ? 1024 * 1024 : 1;
  const value = Number(match[1]) * unit;
  return value > 0 ? { ok: true, value } : { ok: false, error: `"${raw}" must be positive` };
}

function listen(help: string, env: string, fallback?: string) {
  return {
    type: "string",
    help,
    env,
    ...(fallback !== undefined ? { default: fallback } : {}),
    parse: listenAddress,
  } as const;
}

const OPTIONS = {
  help: HELP_OPTION,
  config: {
    type: "string",
    help: "Folder of APIRules, RateLimits and ExternalName Services (default: the quickstart)",
    env: "APIGW_SERVE_CONFIG",
    parse: text,
  },
  "config-max-file-bytes": CONFIG_MAX_FILE_OPTION,
  "config-max-folder-bytes": CONFIG_MAX_FOLDER_OPTION,
  listen: listen("Address of the gateway listener", "APIGW_SERVE_LISTEN", "127.0.0.1:8080"),
  "management-listen": listen(
    "Address of /healthz, /readyz and /metrics (kept off the gateway listener)",
    "APIGW_SERVE_MANAGEMENT_LISTEN",
    "127.0.0.1:9092",
  ),
  "dashboard-listen": dashboardListenOption("APIGW_SERVE_DASHBOARD_LISTEN", listenAddress),
  "demo-upstream": listen(
    "Also serve the demo echo upstream (and the dev key's JWKS) here; default with the quickstart",
    "APIGW_SERVE_DEMO_UPSTREAM",
  ),
  "state-dir": {
    type: "string",
    help: "Folder of local state: the dev signing key (created on first use)",
    env: "APIGW_STATE_DIR",
    default: ".apigw",
    parse: text,
  },
  "tls-cert": {
    type: "string",
    help: "PEM certificate chain: terminate TLS (and HTTP/2)",
    parse: text,
  },
  "tls-key": { type: "string", help: "PEM private key of --tls-cert", parse: text },
  "upstream-ca": {
    type: "string",
    help: "PEM CA certificates trusted for https upstreams, besides the system ones",
    parse: text,
  },
  "provider-name": {
    type: "string",
    help: "extAuth authorizer decided in-process (other extAuth rules answer 403)",
    default: "apigw-authz",
    parse: text,
  },
  normalization: {
    type: "string",
    help: "Path normalization, as the mesh's pathNormalization",
    default: "BASE",
    parse: oneOf(PATH_NORMALIZATIONS),
  },
  "escaped-slashes": {
    type: "string",
    help: "%2F and %5C in paths (unless decoded): reject with 400, or keep",
    default: "reject",
    parse: oneOf(["reject", "keep"] as const),
  },
  "max-header-bytes": {
    type: "string",
    help: "Largest request header block; one header line may be at most 16Ki (431 beyond)",
    // Envoy's max_request_headers_kb default.
    default: "60Ki",
    parse: byteSize,
  },
  "max-body-bytes": {
    type: "string",
    help: "Largest request body, declared or streamed (413 beyond)",
    // Envoy's buffer limit is per-connection; 10Mi covers common API payloads.
    default: "10Mi",
    parse: byteSize,
  },
  "upstream-client": {
    type: "string",
    help: "Transport to plain-HTTP upstreams: apigw's keep-alive HTTP/1.1 client, or fetch",
    // http1: about twice fetch's throughput (bench/README.md); https upstreams always use fetch.
    default: "http1",
    parse: oneOf(["http1", "fetch"] as const),
  },
  "access-log": {
    type: "string",
    help: "One JSON line per request on stderr",
    default: "on",
    parse: oneOf(["on", "off"] as const),
  },
  "debug-header": {
    type: "boolean",
    help: "Add x-apigw-decision (step, reason, rule) to denies and allowed answers",
  },
  "redis-url": {
    type: "string",
    help:
      "Redis shared by every gateway for RateLimit spec.global (redis[s]://, redis[s]+sentinel://H:P,…/MASTER, redis[s]+cluster://H:P,…; in-memory buckets without it)",
    env: "APIGW_REDIS_URL",
    parse: redisUrlOption,
  },
  ...REDIS_CONNECTION_OPTIONS,
  "log-level": LOG_LEVEL_OPTION,
} as const;

type ServeOptions = Options<typeof OPTIONS>;

export const serveCommand: Command = {
  name: "serve",
  summary: "Serve APIRules from a folder as an embedded gateway (no Kubernetes)",
  usage:
    "serve [--config DIR] [--listen HOST:PORT] [--demo-upstream HOST:PORT] [--tls-cert F --tls-key F]",
  description: [
    "A reverse proxy with the routing and security Istio gets from the same APIRules: hosts,",
    "path operators and rule order, methods, timeouts, CORS, request headers and cookies,",
    "noAuth/jwt rules decided by the ext_authz pipeline in-process, RateLimit local buckets.",
    "Where a service lives is said by a Service of type ExternalName (spec.externalName,",
    "spec.ports[].port; appProtocol: https for TLS to the upstream); an APIRule whose Service is",
    "missing is reported and not served. The folder is reloaded on change; an invalid reload is",
    "reported and the last good config keeps serving.",
    "",
    "Without --config the bundled quickstart is served, with its demo upstream on 127.0.0.1:8081.",
    "",
    "Example: apigw serve --config ./gateway --listen 0.0.0.0:8443 --tls-cert tls.crt --tls-key tls.key",
  ].join("\n"),
  options: OPTIONS,
  async run(args, io) {
    const parsed = parseOptions(OPTIONS, args, io.env);
    if (!parsed.ok) return usageError(serveCommand, parsed.error, io);
    let options = parsed.value;
    if (options.help) {
      io.stdout(commandHelp(serveCommand));
      return EXIT_OK;
    }
    if (options.positionals.length > 0) {
      return usageError(serveCommand, [`Unexpected argument "${options.positionals[0]}"`], io);
    }
    if ((options["tls-cert"] === undefined) !== (options["tls-key"] === undefined)) {
      return usageError(serveCommand, ["--tls-cert and --tls-key go together"], io);
    }
    const log = createLogger({
      level: options["log-level"] ?? "info",
      write: (line) => io.stderr(line + "\n"),
    });
    const redis = await withRedisFlags(options, io.env);
    if (!redis.ok) {
      io.stderr(`apigw serve: ${redis.error}\n`);
      return EXIT_FINDINGS;
    }
    options = redis.value;
    return await serve(options, log, io.signal);
  },
};

async function serve(options: ServeOptions, log: Logger, signal: AbortSignal): Promise<number> {
  const dir = options.config ?? QUICKSTART_DIR;
  const demo = options["demo-upstream"] ??
    (options.config === undefined ? must(listenAddress(QUICKSTART_UPSTREAM)) : undefined);
  // Read, parsed and compiled in a worker, within the size caps.
  const reader = createConfigReader(configCaps(options), {
    log,
    compile: { kind: "gateway", providerName: options["provider-name"] },
  });
  // Bad config stops startup; later bad reloads keep the last good config.
  const first = await reader.read(dir);
  if (!first.ok) {
    log.error("Failed to read the config folder", { config: dir, reason: first.error });
    reader.close();
    return EXIT_FINDINGS;
  }
  let tls: { cert: string; key: string } | undefined;
  let upstreamCa: string | undefined;
  try {
    if (options["tls-cert"] !== undefined && options["tls-key"] !== undefined) {
      tls = {
        cert: await Deno.readTextFile(options["tls-cert"]),
        key: await Deno.readTextFile(options["tls-key"]),
      };
    }
    if (options["upstream-ca"] !== undefined) {
      upstreamCa = await Deno.readTextFile(options["upstream-ca"]);
    }
  } catch (error) {
    log.error("Failed to read a certificate file", { error });
    reader.close();
    return EXIT_FINDINGS;
  }
  const served = await runGateway(
    {
      dir,
      first,
      reader,
      listen: options.listen ?? {},
      managementListen: options["management-listen"] ?? {},
      ...(options["dashboard-listen"] !== undefined
        ? { dashboardListen: options["dashboard-listen"] }
        : {}),
      ...(demo !== undefined ? { demo } : {}),
      stateDir: options["state-dir"],
      ...(tls !== undefined ? { tls } : {}),
      ...(upstreamCa !== undefined ? { upstreamCa } : {}),
      providerName: options["provider-name"],
      redisUrl: options["redis-url"],
      upstreamClient: options["upstream-client"],
      gateway: {
        canonical: {
          normalization: options.normalization,
          escapedSlashes: options["escaped-slashes"],
        },
        pipeline: { realm: "apigw", missingTokenStatus: 401 },
        limits: {
          maxHeaderBytes: 16 * 1024,
          maxHeadersTotalBytes: options["max-header-bytes"],
          maxBodyBytes: options["max-body-bytes"],
        },
        debugHeader: options["debug-header"],
        accessLog: options["access-log"] === "on",
        deadlineMs: 5_000,
      },
    },
    log,
    signal,
  );
  reader.close();
  return served ? EXIT_OK : EXIT_FINDINGS;
}

function must<T>(result: Result<T, string>): T {
  if (!result.ok) throw new TypeError(result.error);
  return result.value;
}
