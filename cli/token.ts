/**
 * `apigw token`: a JWT signed by the local dev key (generated on first use into the state
 * folder), which the bundled quickstart's jwt rule trusts. For local development only.
 */
import { HELP_OPTION, parseOptions, type Result, text } from "../config.ts";
import { DEV_ISSUER, loadDevKey } from "../proxy/gateway/dev_key.ts";
import { type Command, commandHelp, EXIT_OK, usageError } from "./command.ts";

function seconds(raw: string): Result<number, string> {
  const value = Number(raw);
  return Number.isSafeInteger(value) && value > 0
    ? { ok: true, value }
    : { ok: false, error: `"${raw}" is not a positive number of seconds` };
}

const OPTIONS = {
  help: HELP_OPTION,
  sub: { type: "string", help: "Subject (sub claim)", default: "alice", parse: text },
  scope: { type: "list", help: "A scope; the scope claim is all of them, space-separated" },
  audience: { type: "list", help: "An audience (aud claim)" },
  ttl: { type: "string", help: "Lifetime in seconds", default: "3600", parse: seconds },
  "state-dir": {
    type: "string",
    help: "Folder of local state holding the dev key (shared with apigw serve)",
    env: "APIGW_STATE_DIR",
    default: ".apigw",
    parse: text,
  },
} as const;

export const tokenCommand: Command = {
  name: "token",
  summary: "Print a dev JWT the quickstart trusts (local dev key)",
  usage: "token [--sub NAME] [--scope S]… [--audience A]… [--ttl SECONDS]",
  description: [
    `Signs a JWT (ES256, issuer "${DEV_ISSUER}") with the dev key in --state-dir, creating the`,
    "key on first use; `apigw serve` publishes the same key's JWKS with the quickstart.",
    "",
    'Example: curl -H "Authorization: Bearer $(apigw token --sub alice --scope read)" …',
  ].join("\n"),
  options: OPTIONS,
  async run(args, io) {
    const parsed = parseOptions(OPTIONS, args, io.env);
    if (!parsed.ok) return usageError(tokenCommand, parsed.error, io);
    const options = parsed.value;
    if (options.help) {
      io.stdout(commandHelp(tokenCommand));
      return EXIT_OK;
    }
    if (options.positionals.length > 0) {
      return usageError(tokenCommand, [`Unexpected argument "${options.positionals[0]}"`], io);
    }
    const key = await loadDevKey(options["state-dir"]);
    const claims: Record<string, unknown> = { sub: options.sub };
    if (options.scope.length > 0) claims.scope = options.scope.join(" ");
    if (options.audience.length > 0) {
      claims.aud = options.audience.length === 1 ? options.audience[0] : [...options.audience];
    }
    io.stdout(await key.sign(claims, { ttlSeconds: options.ttl, now: Date.now() }) + "\n");
    return EXIT_OK;
  },
};
