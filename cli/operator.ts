/**
 * `apigw operator`: runs the APIRule, RateLimit and APIGateway controllers against the cluster
 * (docs/spec/operator-config.md). Flags keep upstream's names and defaults; the options are parsed once
 * into a frozen config, and bad options stop startup with every problem listed.
 */
import { HELP_OPTION, LOG_LEVEL_OPTION, type Result } from "../config.ts";
import { parseGoDuration } from "../api/duration.ts";
import { createLogger } from "../lib/log.ts";
import { loadConnection } from "../kube/connection.ts";
import {
  CONTROLLER_NAMES,
  type ListenAddress,
  type OperatorConfig,
  type OperatorWebhooks,
  runOperator,
} from "../controllers/operator.ts";
import { WEBHOOK_SERVICE } from "../api/crds.ts";
import { CERTIFICATE_SECRET } from "../api/webhook_configurations.ts";
import { apiruleConverter } from "../webhook/apirule_converter.ts";
import { createWebhookApp, type ReviewTiming } from "../webhook/app.ts";
import {
  generateCertificates,
  KEY_ALGORITHMS,
  type KeyAlgorithm,
  verifyCertificates,
} from "../webhook/certificates.ts";
import { createWebhookServer, type WebhookServer } from "../webhook/tls_server.ts";
import type { Logger } from "../lib/log.ts";
import { type Command, EXIT_USAGE, usageError } from "./command.ts";
import { APIGW_VERSION } from "./version.ts";
import { commandOptions } from "./options.ts";

/** The Lease upstream's operator elects its leader with (docs/spec/operator-config.md §4). */
export const LEASE_NAME = "69358922.kyma-project.io";

const OPTIONS = {
  help: HELP_OPTION,
  "log-level": LOG_LEVEL_OPTION,
  kubeconfig: {
    type: "string",
    help: "Kubeconfig file to reach the apiserver (default: in-cluster ServiceAccount)",
    env: "KUBECONFIG",
    parse: path,
  },
  namespace: {
    type: "string",
    help: "Namespace of the operator, where its leader-election Lease lives",
    env: "POD_NAMESPACE",
    // Upstream's namespace: existing clusters, RBAC and dashboards expect it.
    default: "kyma-system",
    parse: path,
  },
  "metrics-bind-address": {
    type: "string",
    help: 'Address of the Prometheus /metrics listener, e.g. ":8080"; "0" disables it',
    default: ":8080",
    parse: address,
  },
  "health-probe-bind-address": {
    type: "string",
    help: 'Address of the /healthz and /readyz listener; "0" disables it',
    default: ":8081",
    parse: address,
  },
  "dashboard-listen": {
    type: "string",
    help:
      "Serve the read-only APIRule/RateLimit status page here: PORT (on 127.0.0.1) or HOST:PORT; off by default",
    env: "APIGW_OPERATOR_DASHBOARD_LISTEN",
    parse: (raw: string) => address(/^\d{1,5}$/.test(raw) ? `127.0.0.1:${raw}` : raw),
  },
  "leader-elect": {
    type: "boolean",
    help: "Elect a leader with a Lease so that only one replica reconciles",
  },
  "leader-elect-lease-duration": {
    type: "string",
    help: "How long a leader's Lease stays valid without renewal",
    // controller-runtime's defaults: existing deployments keep their failover timing.
    default: "15s",
    parse: duration,
  },
  "leader-elect-renew-deadline": {
    type: "string",
    help: "How long the leader tries to renew before it gives up (less than the lease duration)",
    default: "10s",
    parse: duration,
  },
  "leader-elect-retry-period": {
    type: "string",
    help: "Pause between attempts to acquire or renew the Lease",
    default: "2s",
    parse: duration,
  },
  "rate-limiter-burst": {
    type: "string",
    help: "Burst of the token bucket shared by every controller's retries",
    default: "200",
    parse: positiveInteger,
  },
  "rate-limiter-frequency": {
    type: "string",
    help: "Refill of that token bucket, retries per second",
    default: "30",
    parse: positiveInteger,
  },
  "failure-base-delay": {
    type: "string",
    help: "First retry delay of a key after a failed reconcile (doubles per failure)",
    default: "1s",
    parse: duration,
  },
  "failure-max-delay": {
    type: "string",
    help: "Longest retry delay of a key",
    default: "1000s",
    parse: duration,
  },
  "reconciliation-interval": {
    type: "string",
    help: "Re-check period of a reconciled APIRule",
    // Upstream's code default (its docs say 60m).
    default: "30m",
    parse: duration,
  },
  "migration-interval": {
    type: "string",
    help: "Accepted for compatibility with upstream's Deployment; apigw has no Ory migration steps",
    default: "1m",
    parse: duration,
  },
  "max-concurrent-reconciles": {
    type: "string",
    help: "APIRules reconciled at once (RateLimits: half of it; APIGateways: one)",
    // Eight keeps a small apiserver busy without queueing behind itself.
    default: "8",
    parse: positiveInteger,
  },
  "oathkeeper-image": {
    type: "string",
    help: "Image of the Ory Oathkeeper Deployment",
    env: "oathkeeper",
    parse: anyText,
  },
  "oathkeeper-maester-image": {
    type: "string",
    help: "Image of its maester sidecar",
    env: "oathkeeper-maester",
    parse: anyText,
  },
  "busybox-image": {
    type: "string",
    help: "Image of its init container",
    env: "busybox",
    parse: anyText,
  },
  "module-version": {
    type: "string",
    help: "Value of app.kubernetes.io/version on the objects the operator installs",
    default: APIGW_VERSION,
    parse: anyText,
  },
  controllers: {
    type: "list",
    help: `Controllers to run (repeat or comma-separate; default all): ${
      CONTROLLER_NAMES.join(", ")
    }`,
  },
  "webhook-listen": {
    type: "string",
    help:
      'Address of the HTTPS webhook server (conversion, admission), e.g. ":9443"; "0" disables ' +
      "it and the certificate controller",
    // Off unless asked for, like --leader-elect: the shipped Deployment sets ":9443"
    // (docs/spec/operator-config.md §3), and processes that only reconcile need no certificate.
    default: "0",
    parse: address,
  },
  "webhook-certificate-lifetime": {
    type: "string",
    help: "Lifetime of the webhook CA and serving certificate",
    default: "2160h", // 90 days (docs/spec/certificate.md §2)
    parse: duration,
  },
  "webhook-certificate-renew-before": {
    type: "string",
    help: "Renew the certificate when it would expire within this time",
    default: "336h", // 14 days (docs/spec/certificate.md §4)
    parse: duration,
  },
  "webhook-ca-overlap": {
    type: "string",
    help: "How long every caBundle keeps trusting the previous CA after a renewal",
    // Far longer than any replica takes to load the new pair from its watch; the old CA's key
    // was discarded at signing, so trusting it a while longer lets nothing new in.
    default: "1h",
    parse: duration,
  },
  "webhook-ca-propagation-delay": {
    type: "string",
    help: "Pause between injecting a new CA and serving the certificate it signed",
    // apiservers pick up CRD and webhook-configuration changes from their watch in well under a
    // second; 10 s covers a slow one in an HA control plane.
    default: "10s",
    parse: duration,
  },
  "webhook-certificate-extra-sans": {
    type: "list",
    help: "More names for the serving certificate (IP or DNS; repeat or comma-separate)",
  },
  "webhook-certificate-key": {
    type: "string",
    help: `Key type of new certificates: ${KEY_ALGORITHMS.join(", ")} (ecdsa-p256 is for tests)`,
    default: "rsa-4096", // docs/spec/certificate.md §2
    parse: keyAlgorithm,
  },
  "leader-elect-identity": {
    type: "string",
    help: "This replica's name in the Lease (default: the pod name, else host name and a UUID)",
    env: "POD_NAME",
    parse: anyText,
  },
} as const;

export const operatorCommand: Command = {
  name: "operator",
  summary: "Run the APIRule, RateLimit and APIGateway controllers against a cluster",
  usage: "operator [--kubeconfig FILE] [--leader-elect] [options]",
  description: [
    "Watches apigw's CRs and what they depend on, applies exactly the objects `render` would",
    "produce (server-side apply, field manager apigw), deletes the objects it owns that are no",
    "longer wanted, and writes each CR's status. Serves /healthz, /readyz (once every informer",
    "has synced) and /metrics. Runs until SIGINT/SIGTERM; exits 1 when it loses leadership.",
    "",
    "The Oathkeeper images are read from the upstream variables `oathkeeper`,",
    "`oathkeeper-maester` and `busybox` when their flags are not given.",
  ].join("\n"),
  options: OPTIONS,
  async run(args, io) {
    const parsed = commandOptions(operatorCommand, OPTIONS, args, io);
    if ("exit" in parsed) return parsed.exit;
    const options = parsed.options;
    const problems: string[] = [];
    if (options["leader-elect-renew-deadline"] >= options["leader-elect-lease-duration"]) {
      problems.push(
        "--leader-elect-renew-deadline must be shorter than --leader-elect-lease-duration",
      );
    }
    const lifetime = options["webhook-certificate-lifetime"];
    const renewBefore = options["webhook-certificate-renew-before"];
    if (renewBefore >= lifetime) {
      problems.push(
        "--webhook-certificate-renew-before must be shorter than --webhook-certificate-lifetime",
      );
    }
    const controllers = commaList(options.controllers);
    const unknown = controllers.filter((c) => !CONTROLLER_NAMES.some((n) => n === c));
    if (unknown.length > 0) {
      problems.push(
        `--controllers: unknown ${unknown.map((c) => `"${c}"`).join(", ")} (known: ${
          CONTROLLER_NAMES.join(", ")
        })`,
      );
    }
    if (problems.length > 0) return usageError(operatorCommand, problems, io);
    const log = createLogger({
      level: options["log-level"] ?? "info",
      write: (line) => io.stderr(line + "\n"),
    });
    const connection = await loadConnection(options.kubeconfig, io.env);
    if (!connection.ok) {
      log.error("Failed to load the cluster connection", { error: connection.error });
      return EXIT_USAGE;
    }
    const concurrency = options["max-concurrent-reconciles"];
    const config: OperatorConfig = Object.freeze({
      namespace: options.namespace,
      metricsAddress: options["metrics-bind-address"],
      probesAddress: options["health-probe-bind-address"],
      ...(options["dashboard-listen"] !== undefined
        ? { dashboardAddress: options["dashboard-listen"] }
        : {}),
      leaderElection: Object.freeze({
        enabled: options["leader-elect"],
        leaseName: LEASE_NAME,
        identity: options["leader-elect-identity"] ?? `${Deno.hostname()}_${crypto.randomUUID()}`,
        leaseDurationMs: options["leader-elect-lease-duration"],
        renewDeadlineMs: options["leader-elect-renew-deadline"],
        retryPeriodMs: options["leader-elect-retry-period"],
      }),
      rateLimiter: Object.freeze({
        baseDelayMs: options["failure-base-delay"],
        maxDelayMs: options["failure-max-delay"],
        qps: options["rate-limiter-frequency"],
        burst: options["rate-limiter-burst"],
      }),
      reconciliationIntervalMs: options["reconciliation-interval"],
      concurrency: Object.freeze({
        apirule: concurrency,
        ratelimit: Math.max(1, Math.floor(concurrency / 2)),
        apigateway: 1,
      }),
      images: Object.freeze({
        oathkeeper: options["oathkeeper-image"] ?? "",
        maester: options["oathkeeper-maester-image"] ?? "",
        busybox: options["busybox-image"] ?? "",
      }),
      moduleVersion: options["module-version"],
      ...(controllers.length === 0 ? {} : { controllers: new Set(controllers) }),
    });
    log.info("Starting operator", {
      version: APIGW_VERSION,
      leaderElection: config.leaderElection.enabled,
      identity: config.leaderElection.identity,
    });
    const webhookAddress = options["webhook-listen"];
    const webhooks = webhookAddress === undefined ? undefined : operatorWebhooks({
      address: webhookAddress,
      namespace: options.namespace,
      lifetimeMs: lifetime,
      renewBeforeMs: renewBefore,
      overlapMs: options["webhook-ca-overlap"],
      propagationDelayMs: options["webhook-ca-propagation-delay"],
      extraSans: commaList(options["webhook-certificate-extra-sans"]),
      key: options["webhook-certificate-key"],
      log,
    });
    try {
      return await runOperator(config, {
        connection: connection.value,
        log,
        signal: io.signal,
        ...(webhooks === undefined ? {} : { webhooks: webhooks.wiring }),
      });
    } finally {
      await webhooks?.server.close();
    }
  },
};

/** The webhook server and its certificate settings (docs/spec/certificate.md), from the flags. */
function operatorWebhooks(options: {
  address: ListenAddress;
  namespace: string;
  lifetimeMs: number;
  renewBeforeMs: number;
  overlapMs: number;
  propagationDelayMs: number;
  extraSans: readonly string[];
  key: KeyAlgorithm;
  log: Logger;
}): { server: WebhookServer; wiring: OperatorWebhooks } {
  const { log } = options;
  const host = `${WEBHOOK_SERVICE}.${options.namespace}.svc`;
  const isIp = (san: string) => /^[\d.]+$/.test(san) || san.includes(":");
  let sink: ((timing: ReviewTiming) => void) | undefined;
  const app = createWebhookApp({
    convert: apiruleConverter,
    log: log.child({ component: "webhook" }),
    ready: () => server.current !== undefined,
    observe: (timing) => sink?.(timing),
  });
  const server = createWebhookServer(app.fetch, {
    hostname: options.address.hostname,
    port: options.address.port,
    onListen: ({ hostname, port }) =>
      log.info("Serving webhooks", { address: `${hostname}:${port}` }),
  });
  // Certificates that live seconds (tests) cannot be backdated by the spec's hour.
  const backdateMs = Math.min(60 * 60 * 1000, Math.floor(options.lifetimeMs / 10));
  return {
    server,
    wiring: {
      server,
      observeReviews: (observe) => void (sink = observe),
      settings: Object.freeze({
        namespace: options.namespace,
        secretName: CERTIFICATE_SECRET,
        ownerDeployment: DEPLOYMENT_NAME,
        renewBeforeMs: options.renewBeforeMs,
        overlapMs: options.overlapMs,
        propagationDelayMs: options.propagationDelayMs,
        // The spec's hourly re-check, or sooner for short-lived test certificates.
        recheckMs: Math.min(60 * 60 * 1000, Math.max(1_000, options.lifetimeMs / 4)),
      }),
      material: {
        generate: (now) =>
          generateCertificates({
            dnsNames: [host, ...options.extraSans.filter((s) => !isIp(s))],
            ipAddresses: options.extraSans.filter(isIp),
            commonName: host,
            lifetimeMs: options.lifetimeMs,
            backdateMs,
            now,
            key: options.key,
          }),
        verify: verifyCertificates,
      },
    },
  };
}

/** The operator's Deployment: owner of the certificate Secret it creates. */
const DEPLOYMENT_NAME = "api-gateway-controller-manager";

/** A repeatable flag's values, each also split at commas. */
function commaList(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

function keyAlgorithm(raw: string): Result<KeyAlgorithm, string> {
  const found = KEY_ALGORITHMS.find((k) => k === raw);
  return found === undefined
    ? { ok: false, error: `"${raw}" is not one of ${KEY_ALGORITHMS.join(", ")}` }
    : { ok: true, value: found };
}

function path(raw: string): Result<string, string> {
  return raw === "" ? { ok: false, error: "must not be empty" } : { ok: true, value: raw };
}

function anyText(raw: string): Result<string, string> {
  return { ok: true, value: raw };
}

/** Go-style durations (`500ms`, `15s`, `30m`), in milliseconds. */
function duration(raw: string): Result<number, string> {
  const parsed = parseGoDuration(raw);
  if (!parsed.ok) return { ok: false, error: `"${raw}" is ${parsed.error}` };
  if (parsed.value <= 0n) return { ok: false, error: `"${raw}" must be positive` };
  return { ok: true, value: Number(parsed.value / 1_000_000n) };
}

function positiveInteger(raw: string): Result<number, string> {
  return /^[1-9]\d*$/.test(raw)
    ? { ok: true, value: Number(raw) }
    : { ok: false, error: `"${raw}" is not a positive integer` };
}

/** `host:port`, `:port` (all interfaces) or `0` (disabled), as controller-runtime takes them. */
function address(raw: string): Result<ListenAddress | undefined, string> {
  if (raw === "0") return { ok: true, value: undefined };
  const match = /^(.*):(\d{1,5})$/.exec(raw);
  const port = Number(match?.[2]);
  if (match === null || port > 65535) {
    return { ok: false, error: `"${raw}" is not an address like ":8080" or "127.0.0.1:8080"` };
  }
  const host = match[1] ?? "";
  return {
    ok: true,
    value: { hostname: host === "" ? "0.0.0.0" : host.replace(/^\[|\]$/g, ""), port },
  };
}
