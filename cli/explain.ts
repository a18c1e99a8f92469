/**
 * `apigw explain -f FILE … --request 'GET https://host/path' [--header 'Name: value'] …`: runs
 * one request through the same canonicalisation, index and pipeline as `apigw authz`, and prints
 * which rule matched, which step decided and why. Tokens are verified for real (JWKS fetched).
 */
import { HELP_OPTION, type Result, text } from "../config.ts";
import { canonicalRequest } from "../core/authz/canonical.ts";
import { ALLOW_REASONS, deny, DENY_REASONS } from "../core/authz/decision.ts";
import { compilePolicyIndex } from "../core/authz/policy_index.ts";
import type { CompiledRule } from "../core/authz/rule.ts";
import { createJwksManager } from "../proxy/jwt/jwks.ts";
import { createTokenCache } from "../proxy/jwt/token_cache.ts";
import { createVerifier } from "../proxy/jwt/verifier.ts";
import { createEngine } from "../proxy/oathkeeper/wiring.ts";
import {
  type AccessStrategy,
  describeTokenFrom,
  type HandlerDefaults,
  handlerDefaultsOf,
} from "../core/authz/oathkeeper/strategies.ts";
import { parse } from "yaml";
import { decide, type Outcome } from "../proxy/pipeline.ts";
import { type Command, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, usageError } from "./command.ts";
import { readInputs } from "./input.ts";
import {
  commandOptions,
  ESCAPED_SLASHES_OPTION,
  fileOption,
  NORMALIZATION_OPTION,
  REPORT_OUTPUT_OPTION,
} from "./options.ts";

const OPTIONS = {
  help: HELP_OPTION,
  file: fileOption("File of APIRules (and Gateways); - reads stdin"),
  request: {
    type: "string",
    help: "The request: 'METHOD http(s)://host/path?query' (the target is taken as written)",
    parse: text,
  },
  header: { type: "list", short: "H", help: "A request header: 'Name: value'" },
  "provider-name": {
    type: "string",
    help: "Name of the authz service's extension provider",
    default: "apigw-authz",
    parse: text,
  },
  normalization: NORMALIZATION_OPTION,
  "escaped-slashes": ESCAPED_SLASHES_OPTION,
  "handler-defaults": {
    type: "string",
    help: "Defaults of v1beta1 handler configs, as for `apigw authz --handler-defaults`",
    parse: text,
  },
  output: REPORT_OUTPUT_OPTION,
} as const;

export const explainCommand: Command = {
  name: "explain",
  summary: "Show which rule and step decide a request, offline",
  usage: "explain -f FILE [-f FILE …] --request 'GET https://host/path' [-H 'Name: value' …]",
  description: [
    "Decides one request the way `apigw authz` would, from the APIRules in the files, and",
    "prints the canonical request, the rule that matched (namespace/name#index), the step that",
    "decided (normalize, match, authenticate, authorize) and the stable reason. Tokens in the",
    "headers or query are verified against the issuer's JWKS, which is fetched.",
    "",
    "APIRule v1beta1 rules (jwtHandler apigw) show their access strategies and mutators, the",
    "strategy that authenticated and the headers the mutators set. oauth2_introspection and",
    "cookie_session call their endpoints for real.",
    "",
    "Exit status: 0 allowed, 1 denied, 2 usage errors or unreadable input.",
    "",
    "Example: apigw explain -f apirule.yaml --request 'GET https://orders.example.com/admin' \\",
    "           -H 'Authorization: Bearer eyJ…'",
  ].join("\n"),
  options: OPTIONS,
  async run(args, io) {
    const parsed = commandOptions(explainCommand, OPTIONS, args, io);
    if ("exit" in parsed) return parsed.exit;
    const options = parsed.options;
    const request = options.request === undefined
      ? { ok: false as const, error: "Missing --request" }
      : parseRequestLine(options.request);
    const headers = parseHeaders(options.header);
    const problems = [
      ...(options.file.length === 0 ? ["Missing -f FILE"] : []),
      ...(request.ok ? [] : [request.error]),
      ...(headers.ok ? [] : headers.error),
    ];
    if (problems.length > 0 || !request.ok || !headers.ok) {
      return usageError(explainCommand, problems, io);
    }
    const read = await readInputs(options.file);
    if (!read.ok) {
      io.stderr(`apigw explain: ${read.error}\n`);
      return EXIT_USAGE;
    }
    let handlerDefaults: HandlerDefaults | undefined;
    if (options["handler-defaults"] !== undefined) {
      try {
        handlerDefaults = handlerDefaultsOf(
          parse(await Deno.readTextFile(options["handler-defaults"])),
        );
      } catch (error) {
        io.stderr(`apigw explain: Cannot read handler defaults: ${String(error)}\n`);
        return EXIT_USAGE;
      }
      if (handlerDefaults === undefined) {
        io.stderr(`apigw explain: Handler defaults must map authenticators/mutators\n`);
        return EXIT_USAGE;
      }
    }
    const compiled = compilePolicyIndex(read.objects.map((o) => o.value), {
      providerName: options["provider-name"],
      ...(handlerDefaults !== undefined ? { handlerDefaults } : {}),
    });
    for (const problem of compiled.problems) {
      io.stderr(`note: skipped ${problem.object}: ${problem.message}\n`);
    }
    headers.value.set("host", request.value.host);
    const canonical = canonicalRequest(
      { method: request.value.method, target: request.value.target, host: request.value.host },
      { normalization: options.normalization, escapedSlashes: options["escaped-slashes"] },
    );
    let outcome: Outcome;
    if (!canonical.ok) {
      const { status, reason, detail } = canonical.error;
      outcome = { decision: deny("normalize", status, reason, { detail }) };
    } else {
      const jwks = createJwksManager({ timeoutMs: 5_000 });
      try {
        const verifier = createVerifier({ jwks, cache: createTokenCache(0) });
        outcome = await decide({ request: canonical.value, headers: headers.value }, {
          index: compiled.index,
          verifier,
          options: { realm: "apigw", missingTokenStatus: 401 },
          accessStrategies: createEngine({ jwks, verifier, cacheEntries: 0 }).engine,
        }, { at: performance.now() + 10_000 });
      } finally {
        await jwks.close();
      }
    }
    const report = {
      request: canonical.ok ? canonical.value : undefined,
      rule: outcome.rule === undefined ? undefined : ruleSummary(outcome.rule),
      decision: outcome.decision,
      ...(outcome.session !== undefined ? { session: outcome.session } : {}),
      rulesForHost: canonical.ok
        ? (compiled.index.hosts.get(canonical.value.host) ?? []).map((r) => r.id)
        : [],
    };
    if (options.output === "json") io.stdout(JSON.stringify(report, omitQuery, 2) + "\n");
    else io.stdout(textReport(report));
    return outcome.decision.allow ? EXIT_OK : EXIT_FINDINGS;
  },
};

/** `GET https://host/path?q` → its raw parts; the target is kept exactly as written. */
export function parseRequestLine(
  line: string,
): Result<{ method: string; host: string; target: string }, string> {
  const match = /^(\S+)\s+https?:\/\/([^/?#\s]+)(\S*)$/.exec(line.trim());
  if (match === null) {
    return { ok: false, error: `--request "${line}" is not 'METHOD http(s)://host/path'` };
  }
  const target = match[3] === "" ? "/" : match[3]!.startsWith("?") ? `/${match[3]}` : match[3]!;
  return { ok: true, value: { method: match[1]!, host: match[2]!, target } };
}

function parseHeaders(lines: readonly string[]): Result<Headers, string[]> {
  const headers = new Headers();
  const problems: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    try {
      if (colon <= 0) throw new TypeError("no name");
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      problems.push(`--header "${line}" is not 'Name: value'`);
    }
  }
  return problems.length > 0 ? { ok: false, error: problems } : { ok: true, value: headers };
}

function ruleSummary(rule: CompiledRule) {
  return {
    id: rule.id,
    path: rule.path,
    methods: rule.methods,
    kind: rule.auth.kind,
    ...(rule.auth.kind === "accessStrategies"
      ? {
        accessStrategies: rule.auth.strategies.map(describeStrategy),
        mutators: rule.auth.mutators.map((m) => m.kind),
      }
      : {}),
  };
}

/** One line per v1beta1 strategy: its handler and the options that decide. */
export function describeStrategy(strategy: AccessStrategy): string {
  switch (strategy.kind) {
    case "allow":
      return strategy.handler;
    case "noop":
    case "unauthorized":
      return strategy.kind;
    case "anonymous":
      return `anonymous (subject ${strategy.subject})`;
    case "jwt":
      return `jwt (${describeTokenFrom(strategy.tokenFrom)}; jwks ${strategy.jwksUrls.join(", ")}${
        requirements(strategy)
      })`;
    case "jwt_istio":
      return `jwt (issuers ${strategy.jwt.authentications.map((a) => a.issuer).join(", ")})`;
    case "oauth2_introspection":
      return `oauth2_introspection (${describeTokenFrom(strategy.tokenFrom)}; ${strategy.url}${
        requirements(strategy)
      }; cache ${strategy.cache.enabled ? `${strategy.cache.ttlMs} ms` : "off"})`;
    case "cookie_session":
      return `cookie_session (${strategy.checkSessionUrl})`;
  }
}

function requirements(s: {
  requiredScope: readonly string[];
  targetAudience: readonly string[];
  trustedIssuers: readonly string[];
  scopeStrategy: string;
}): string {
  return [
    s.requiredScope.length > 0 ? `; scopes ${s.requiredScope.join(" ")} (${s.scopeStrategy})` : "",
    s.targetAudience.length > 0 ? `; audience ${s.targetAudience.join(" ")}` : "",
    s.trustedIssuers.length > 0 ? `; issuers ${s.trustedIssuers.join(" ")}` : "",
  ].join("");
}

function omitQuery(key: string, value: unknown): unknown {
  // The query may hold an access_token; the report names it only as present or not.
  return key === "query" && typeof value === "string" ? (value === "" ? "" : "(present)") : value;
}

function textReport(report: {
  request: { method: string; host: string; path: string } | undefined;
  rule: ReturnType<typeof ruleSummary> | undefined;
  decision: Outcome["decision"];
  session?: { handler: string; subject: string };
  rulesForHost: string[];
}): string {
  const { request, rule, decision } = report;
  const lines = [
    `Request:   ${
      request === undefined
        ? "(not canonical)"
        : `${request.method} ${request.host} ${request.path}`
    }`,
    `Rules:     ${
      report.rulesForHost.length === 0 ? "(none for this host)" : report.rulesForHost.join(", ")
    }`,
    `Matched:   ${
      rule === undefined
        ? "(no rule)"
        : `${rule.id}: ${rule.kind} ${rule.methods.join(",")} ${rule.path}`
    }`,
  ];
  if (rule?.accessStrategies !== undefined) {
    for (const [i, strategy] of rule.accessStrategies.entries()) {
      lines.push(`${i === 0 ? "Strategies:" : "          "} ${i + 1}. ${strategy}`);
    }
    const mutators = rule.mutators ?? [];
    if (mutators.length > 0) lines.push(`Mutators:  ${mutators.join(", ")}`);
  }
  if (report.session !== undefined) {
    const subject = report.session.subject === ""
      ? "no subject"
      : `subject "${report.session.subject}"`;
    lines.push(`Decided:   by ${report.session.handler} (${subject})`);
  }
  if (decision.allow) {
    lines.push(`Decision:  allow (200) at step ${decision.step}: ${decision.reason}`);
    lines.push(`           ${ALLOW_REASONS[decision.reason]}`);
    for (const [name, value] of Object.entries(decision.upstreamHeaders)) {
      // Header values may carry tokens (id_token): the name and the length only.
      lines.push(`           sets ${name} (${value.length} bytes)`);
    }
  } else {
    lines.push(`Decision:  deny (${decision.status}) at step ${decision.step}: ${decision.reason}`);
    lines.push(`           ${decision.detail ?? DENY_REASONS[decision.reason]}`);
    if (decision.wwwAuthenticate !== undefined) {
      lines.push(`           WWW-Authenticate: ${decision.wwwAuthenticate}`);
    }
  }
  return lines.join("\n") + "\n";
}
