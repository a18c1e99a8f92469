/**
 * `apigw migrate`: rewrites APIRule v1beta1 objects as v2 (core/migrate), proves each rewrite by
 * deciding the same requests with both versions (cli/migrate_proof.ts), prints the v2 objects on
 * stdout and, on stderr, the steps, the differences and, for workloads several APIRules expose,
 * the temporary AuthorizationPolicy with the order of steps.
 */
import { parse, stringify } from "yaml";
import { type HandlerDefaults, handlerDefaultsOf } from "../core/authz/oathkeeper/strategies.ts";
import { HELP_OPTION, type Result, text } from "../config.ts";
import { loadConnection } from "../kube/connection.ts";
import { createKubeClient } from "../kube/client.ts";
import {
  isV1beta1Source,
  migrateAPIRule,
  type Migrated,
  v1beta1Source,
} from "../core/migrate/rewrite.ts";
import { sharedWorkloads } from "../core/migrate/workload.ts";
import { type Command, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, usageError } from "./command.ts";
import { readInputs } from "./input.ts";
import { toJsonList, toYaml } from "./output.ts";
import { commandOptions, fileOption, OBJECT_OUTPUT_OPTION } from "./options.ts";
import { type Difference, type Proof, proveMigration } from "./migrate_proof.ts";

const OPTIONS = {
  help: HELP_OPTION,
  file: fileOption('File of APIRules v1beta1 (and Services, Gateways); "-" reads stdin'),
  cluster: {
    type: "boolean",
    help: "Read the APIRules, Services and Gateways from the cluster instead of files",
  },
  kubeconfig: {
    type: "string",
    help: "Kubeconfig for --cluster; default: KUBECONFIG, else in-cluster",
    env: "KUBECONFIG",
    parse: text,
  },
  issuer: {
    type: "list",
    help: "JWKS_URL=ISSUER: the issuer of tokens signed by the keys at JWKS_URL (repeatable)",
  },
  "provider-name": {
    type: "string",
    help: "Extension provider oauth2_introspection and cookie_session rules move to (extAuth)",
    default: "apigw-authz",
    parse: text,
  },
  "handler-defaults": {
    type: "string",
    help: "Defaults of v1beta1 handler configs, as for `apigw authz --handler-defaults` " +
      "(so the proof decides the v1beta1 side as apigw authz would)",
    parse: text,
  },
  "pure-istio": {
    type: "boolean",
    help: "Refuse rewrites that need an external authorizer (extAuth)",
  },
  "accept-differences": {
    type: "boolean",
    help: "Count an APIRule as migrated even when the proof finds unintended differences",
  },
  output: OBJECT_OUTPUT_OPTION,
} as const;

const DESCRIPTION = [
  "Rewrites each APIRule v1beta1 as v2 the way upstream's migration guides do by hand:",
  "allow, no_auth and noop become noAuth; jwt becomes jwt.authentications (issuer from",
  "trusted_issuers or --issuer) with required_scope and target_audience as authorizations;",
  "oauth2_introspection and cookie_session become extAuth naming --provider-name; static header",
  "and cookie mutators become request.headers/cookies; regex paths become {*}/{**} templates when",
  "they match the same paths. Whatever has no faithful v2 form is refused with the reason.",
  "",
  "Each rewrite is then proved: requests drawn from the old and new paths, every method, with no",
  "token, a valid one, one without the scopes and one of another issuer, are decided with the",
  "v1beta1 engine and with the v2 pipeline. Every difference is printed; differences the rewrite",
  "intends are marked; any other one makes the APIRule not migrated (--accept-differences).",
  "",
  "stdout: the v2 APIRules (YAML, or JSON with -o json). stderr: per APIRule the steps and",
  "differences, handler defaults for extAuth rules, and for workloads exposed by several",
  "APIRules the temporary AuthorizationPolicy and the order of steps.",
  "",
  "Exit status: 0 every APIRule migrated, 1 some could not be (each with its reason), 2 usage",
  "error or unreadable input.",
  "",
  "Example:",
  "  apigw migrate -f apirules.yaml --issuer https://idp.example.com/certs=https://idp.example.com",
].join("\n");

export const migrateCommand: Command = {
  name: "migrate",
  summary: "Rewrite APIRules v1beta1 as v2, with a proof of equivalence",
  usage: "migrate (-f FILE … | --cluster) [-o yaml|json] [--issuer JWKS_URL=ISSUER]…",
  description: DESCRIPTION,
  options: OPTIONS,
  async run(args, io) {
    const parsed = commandOptions(migrateCommand, OPTIONS, args, io);
    if ("exit" in parsed) return parsed.exit;
    const options = parsed.options;
    const issuers = parseIssuers(options.issuer);
    const problems = [
      ...(options.file.length === 0 && !options.cluster
        ? ["Option --file (-f) or --cluster is required"]
        : []),
      ...(options.file.length > 0 && options.cluster ? ["Use either --file or --cluster"] : []),
      ...(options.positionals.length > 0
        ? [`Unexpected argument "${options.positionals[0]}"`]
        : []),
      ...(issuers.ok ? [] : issuers.error),
    ];
    if (problems.length > 0 || !issuers.ok) return usageError(migrateCommand, problems, io);
    const objects = options.cluster
      ? await readCluster(options.kubeconfig, io.env)
      : await readFiles(options.file);
    if (!objects.ok) {
      io.stderr(`apigw migrate: ${objects.error}\n`);
      return EXIT_USAGE;
    }
    let handlerDefaults: HandlerDefaults | undefined;
    if (options["handler-defaults"] !== undefined) {
      try {
        handlerDefaults = handlerDefaultsOf(
          parse(await Deno.readTextFile(options["handler-defaults"])),
        );
      } catch (error) {
        io.stderr(`apigw migrate: Cannot read handler defaults: ${String(error)}\n`);
        return EXIT_USAGE;
      }
      if (handlerDefaults === undefined) {
        io.stderr("apigw migrate: Handler defaults must map authenticators/mutators\n");
        return EXIT_USAGE;
      }
    }
    const sources = objects.value.filter(isV1beta1Source);
    if (sources.length === 0) {
      io.stderr("apigw migrate: No APIRule v1beta1 in the input\n");
      return EXIT_USAGE;
    }
    const settings = {
      issuers: issuers.value,
      providerName: options["provider-name"],
      pureIstio: options["pure-istio"],
    };
    const migrated: Migrated[] = [];
    let failed = 0;
    for (const source of sources) {
      const result = migrateAPIRule(source, settings);
      if (!result.ok) {
        failed++;
        const { namespace, name, reasons } = result.error;
        io.stderr(`APIRule ${namespace}/${name}: not migrated\n`);
        for (const reason of reasons) io.stderr(`  refused: ${reason}\n`);
        continue;
      }
      const proof = await proveMigration(
        result.value,
        handlerDefaults !== undefined ? { handlerDefaults } : {},
      );
      const unintended = proof.differences.filter((d) => d.intended === undefined);
      const accepted = unintended.length === 0 || options["accept-differences"];
      io.stderr(report(result.value, proof, accepted));
      if (accepted) migrated.push(result.value);
      else failed++;
    }
    for (const workload of sharedWorkloads(migratedInputs(sources), objects.value)) {
      io.stderr(
        workload.shared
          ? `Workload ${workload.service} is exposed by ${workload.apiRules.length} APIRules ` +
            `(${workload.apiRules.join(", ")}); once one is v2, Istio denies the others' ` +
            "traffic unless a temporary AuthorizationPolicy allows it:\n"
          : `Workload ${workload.service} (APIRule ${workload.apiRules[0]}): the operator ` +
            "creates the v2 AuthorizationPolicies one by one and the first denies what the " +
            "others will allow until they exist; a temporary AuthorizationPolicy closes the gap:\n",
      );
      for (const step of workload.steps) io.stderr(`  ${step}\n`);
      for (const note of workload.notes) io.stderr(`  note: ${note}\n`);
      if (workload.policy !== undefined) io.stderr(indent(toYaml([workload.policy]), "    "));
    }
    io.stderr(`${migrated.length} migrated, ${failed} not migrated\n`);
    const v2 = migrated.map((m) => m.v2);
    if (v2.length > 0) {
      io.stdout(
        options.output === "json"
          ? (v2.length === 1 ? JSON.stringify(v2[0], null, 2) + "\n" : toJsonList(v2))
          : toYaml(v2),
      );
    }
    return failed > 0 ? EXIT_FINDINGS : EXIT_OK;
  },
};

/** `--issuer URL=ISSUER` values; the issuer starts at the last `=http`, else the last `=`. */
export function parseIssuers(values: readonly string[]): Result<Map<string, string>, string[]> {
  const map = new Map<string, string>();
  const problems: string[] = [];
  for (const value of values) {
    const at = value.lastIndexOf("=http") !== -1
      ? value.lastIndexOf("=http")
      : value.lastIndexOf("=");
    const url = value.slice(0, at);
    const issuer = value.slice(at + 1);
    if (at <= 0 || issuer === "") {
      problems.push(`--issuer "${value}" is not JWKS_URL=ISSUER`);
    } else map.set(url, issuer);
  }
  return problems.length > 0 ? { ok: false, error: problems } : { ok: true, value: map };
}

function report(migrated: Migrated, proof: Proof, accepted: boolean): string {
  const unintended = proof.differences.filter((d) => d.intended === undefined);
  const lines = [
    `APIRule ${migrated.namespace}/${migrated.name}: ${
      accepted
        ? "migrated"
        : "not migrated (the proof found differences the rewrite does not intend)"
    }`,
  ];
  for (const step of migrated.steps) {
    const where = step.rule === undefined ? "" : `rules[${step.rule}] `;
    lines.push(`  ${where}${step.rewrite}: ${step.detail}`);
  }
  lines.push(
    `  proof: ${proof.compared} requests decided by both versions, ${proof.differences.length} ` +
      `differences (${proof.differences.length - unintended.length} intended, ` +
      `${unintended.length} not intended)`,
  );
  for (const problem of proof.problems) lines.push(`    cannot decide with ${problem}`);
  for (const d of proof.differences) lines.push(`    ${describeDifference(d)}`);
  for (const { rule, defaults } of migrated.handlerDefaults) {
    lines.push(`  rules[${rule}] moved to extAuth; the provider's --handler-defaults:`);
    lines.push(indent(stringify(defaults), "    ").trimEnd());
  }
  return lines.join("\n") + "\n";
}

function describeDifference(d: Difference): string {
  const head = `${d.intended !== undefined ? "intended" : "NOT INTENDED"} ${d.kind}: ` +
    `${d.method} ${d.path} (${d.token}): v1beta1 ${d.v1beta1}, v2 ${d.v2}`;
  return d.intended !== undefined ? `${head} — ${d.intended}` : head;
}

function indent(textBlock: string, prefix: string): string {
  return textBlock.split("\n").map((line) => line === "" ? line : prefix + line).join("\n");
}

function migratedInputs(sources: readonly Record<string, unknown>[]) {
  // The workload check reads the v1beta1 specs, whether or not the rewrite of each succeeded.
  return sources.flatMap((source) => {
    const read = v1beta1Source(source);
    return read.ok ? [read.value] : [];
  });
}

async function readFiles(
  files: readonly string[],
): Promise<Result<Record<string, unknown>[], string>> {
  const inputs = await readInputs(files);
  if (!inputs.ok) return { ok: false, error: inputs.error };
  return { ok: true, value: inputs.objects.map((o) => o.value) };
}

const CLUSTER_LISTS = [
  "/apis/gateway.kyma-project.io/v2alpha1/apirules",
  "/api/v1/services",
  "/apis/networking.istio.io/v1/gateways",
];

async function readCluster(
  kubeconfig: string | undefined,
  env: (name: string) => string | undefined,
): Promise<Result<Record<string, unknown>[], string>> {
  const connection = await loadConnection(kubeconfig, env);
  if (!connection.ok) return connection;
  const client = createKubeClient(connection.value, { userAgent: "apigw-migrate" });
  try {
    const objects: Record<string, unknown>[] = [];
    for (const path of CLUSTER_LISTS) {
      const listed = await client.request("GET", path);
      if (!listed.ok) {
        return { ok: false, error: `Cannot list ${path}: ${listed.error.message}` };
      }
      const list = listed.value as { apiVersion?: string; kind?: string; items?: unknown[] };
      // List items carry no apiVersion/kind; they are the list's.
      const apiVersion = String(list.apiVersion ?? "");
      const kind = String(list.kind ?? "").replace(/List$/, "");
      for (const item of list.items ?? []) {
        if (typeof item === "object" && item !== null) {
          objects.push({ apiVersion, kind, ...(item as Record<string, unknown>) });
        }
      }
    }
    return { ok: true, value: objects };
  } finally {
    client.close();
  }
}
