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
import { createJwksManager } from "../proxy/jwt/jwks.ts";
import { createTokenCache } from "../proxy/jwt/token_cache.ts";
import { createEngine } from "../proxy/oathkeeper/wiring.ts";
import { createVerifier } from "../proxy/jwt/verifier.ts";
import { createManagementApp } from "../proxy/management.ts";
import { createMetrics } from "../proxy/metrics.ts";
import { folderSource, type Snapshot } from "../proxy/rule_source.ts";
import { createConfigReader } from "../proxy/config_reader.ts";
import { CONFIG_MAX_FILE_OPTION, CONFIG_MAX_FOLDER_OPTION, configCaps } from "./limit_options.ts";
import { loadDevKey } from "../proxy/gateway/dev_key.ts";
import { createEcho } from "../proxy/gateway/echo.ts";
import { createGateway } from "../proxy/gateway/handler.ts";
import { createGatewayMetrics } from "../proxy/gateway/metrics.ts";
import { createLimiter } from "../proxy/gateway/rate_limit.ts";
import { createGatewayStore } from "../proxy/gateway/store.ts";
import { createHttp1Client } from "../proxy/gateway/http1_client.ts";
import { listenAddress } from "./authz.ts";
import { type Command, commandHelp, EXIT_FINDINGS, EXIT_OK, usageError } from "./command.ts";
import { REDIS_CONNECTION_OPTIONS, redisUrlOption, withRedisFlags } from "./redis_flags.ts";
import { startGlobalLimiting } from "../proxy/ratelimit/setup.ts";

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
    gateway: { providerName: options["provider-name"] },
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
  const authzMetrics = createMetrics();
  const metrics = createGatewayMetrics(authzMetrics);
  const jwks = createJwksManager({ observer: authzMetrics, log });
  const verifier = createVerifier({
    jwks,
    cache: createTokenCache(10_000),
    observer: authzMetrics,
  });
  // APIRules authored as v1beta1 keep their access strategies, decided as `apigw authz` does.
  const { engine } = createEngine({ jwks, verifier, cacheEntries: 10_000 });
  const limiter = createLimiter();
  const store = createGatewayStore({
    providerName: options["provider-name"],
    log,
    onReload: metrics.reload,
    onConfig(config) {
      limiter.retain(config.policyKeys);
      jwks.warm(config.index.jwksUris);
      log.info("Loaded config", {
        routes: config.routes.size,
        hosts: [...config.index.hosts.keys()],
      });
      for (const route of config.routes.values()) {
        log.info("Serving route", {
          rule: route.rule.id,
          path: route.rule.path,
          methods: route.rule.methods,
          auth: route.rule.auth.kind,
          upstream: route.upstream.origin,
          rateLimits: route.limits.map((l) => l.name),
        });
      }
    },
  });
  // The global limiter of `apigw authz`, over the limits of each route's workload.
  const globalLimiter = await startGlobalLimiting(
    { redisUrl: options["redis-url"], redisTimeoutMs: 50, localKeys: 100_000 },
    { current: () => store.current().globalLimits },
    log,
  );
  const client = upstreamCa === undefined
    ? undefined
    : Deno.createHttpClient({ caCerts: [upstreamCa] });
  const upstreamFetch: typeof fetch = client === undefined
    ? fetch
    : (input, init) => fetch(input, { ...init, client });
  const http1 = createHttp1Client();
  const stop = new AbortController();
  // Deno.serve's own `signal` closes open connections; `shutdown()` lets in-flight requests end.
  const onAbort = () => {
    stop.abort();
    for (const server of servers) server.shutdown();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  const servers: Deno.HttpServer<Deno.NetAddr>[] = [];
  let sourceDone: Promise<void> = Promise.resolve();
  try {
    if (demo !== undefined) {
      const key = await loadDevKey(options["state-dir"]);
      const echo = Deno.serve(
        { ...demo, onListen() {} },
        createEcho([key.publicJwk]),
      );
      servers.push(echo);
      log.info("Serving demo upstream", {
        listen: `${echo.addr.hostname}:${echo.addr.port}`,
        jwks: `http://${echo.addr.hostname}:${echo.addr.port}/.well-known/jwks.json`,
        stateDir: options["state-dir"],
      });
    }
    store.load(first);
    const scheme = tls === undefined ? "http" : "https";
    const handler = createGateway({
      config: store,
      accessStrategies: engine,
      globalLimiter: globalLimiter.step,
      verifier,
      limiter,
      metrics,
      log: log.child({ component: "access" }),
      fetch: upstreamFetch,
      ...(options["upstream-client"] === "http1" ? { http1 } : {}),
      options: {
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
    }, scheme);
    const gateway = Deno.serve({
      ...options.listen,
      ...(tls ?? {}),
      onListen() {},
    }, handler);
    servers.push(gateway);
    const management = createManagementApp({
      ready: store.ready,
      metrics: {
        render: () => metrics.render() + globalLimiter.renderMetrics() + reader.renderMetrics(),
      },
    });
    const admin = Deno.serve(
      { ...options["management-listen"], onListen() {} },
      management.fetch,
    );
    servers.push(admin);
    sourceDone = watch(dir, { load: store.load, read: reader.read }, stop.signal, log);
    log.info("Serving gateway", {
      listen: `${scheme}://${gateway.addr.hostname}:${gateway.addr.port}`,
      management: `http://${admin.addr.hostname}:${admin.addr.port}`,
      config: dir,
      routes: store.current().routes.size,
      http2: tls !== undefined,
    });
  } catch (error) {
    log.error("Failed to start", { error });
    onAbort();
    await Promise.all(servers.map((s) => s.finished));
    await jwks.close();
    await globalLimiter.close();
    client?.close();
    http1.close();
    reader.close();
    return EXIT_FINDINGS;
  }
  await Promise.all([...servers.map((s) => s.finished), sourceDone]);
  signal.removeEventListener("abort", onAbort);
  await jwks.close();
  await globalLimiter.close();
  client?.close();
  http1.close();
  reader.close();
  log.info("Stopped gateway");
  return EXIT_OK;
}

/** Reloads on change; a folder that cannot be watched (a compiled binary's) serves as loaded. */
async function watch(
  dir: string,
  { load, read }: {
    load: (snapshot: Snapshot) => boolean;
    read: (dir: string) => Promise<Snapshot>;
  },
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  let initial = true;
  try {
    await folderSource(dir, { read }).run((snapshot) => {
      // The source re-reads the folder once at start: the startup load already served it.
      if (initial) initial = false;
      else load(snapshot);
    }, signal);
  } catch (error) {
    log.warn("Not watching the config folder: changes need a restart", { config: dir, error });
  }
}

function must<T>(result: Result<T, string>): T {
  if (!result.ok) throw new TypeError(result.error);
  return result.value;
}
