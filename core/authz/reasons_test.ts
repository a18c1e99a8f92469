import assert from "node:assert/strict";
import { DENY_REASONS } from "./decision.ts";
import { DENIAL_REASONS, GATEWAY_REASONS, NON_DENIAL_LOG_REASONS } from "./reasons.ts";

const ROOT = new URL("../../", import.meta.url);

/** Every non-test TypeScript file under `dir`. */
function sources(dir: URL): URL[] {
  const found: URL[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) found.push(...sources(url));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) found.push(url);
  }
  return found;
}

/**
 * The reason literals the code hands to clients or logs: `reason: "x"`, `reason = "x"` and
 * `problem(404, "x", …)`.
 */
function reasonLiterals(text: string): string[] {
  const patterns = [
    /\breason\s*[:=]\s*"([a-z_]+)"/g,
    /\bproblem\(\s*\d{3},\s*"([a-z_]+)"/g,
    /\bdeny\(\s*"[a-z]+",\s*[\w.]+,\s*"([a-z_]+)"/g,
    /\binvalidToken\(\s*(?:realm,\s*)?"([a-z_]+)"/g,
  ];
  return patterns.flatMap((p) => [...text.matchAll(p)].map((m) => m[1]!));
}

Deno.test("DENIAL_REASONS lists every reason the proxy and the authz core produce", () => {
  const known = new Set<string>([...DENIAL_REASONS, ...NON_DENIAL_LOG_REASONS]);
  const allowReasons = new Set<string>();
  for (
    const m of Deno.readTextFileSync(new URL("core/authz/decision.ts", ROOT)).matchAll(
      /^ {2}([a-z_]+): "/gm,
    )
  ) allowReasons.add(m[1]!);
  const seen = new Map<string, string>();
  for (const dir of ["proxy/", "core/authz/", "cli/"]) {
    for (const file of sources(new URL(dir, ROOT))) {
      // Not request decisions: the rate limit service's failure counter, why a config file or
      // folder was refused (apigw_config_refused_total), and the dashboard's own refusals.
      if (/\/proxy\/(rls\/|config_|dashboard\/)/.test(file.pathname)) continue;
      for (const reason of reasonLiterals(Deno.readTextFileSync(file))) {
        seen.set(reason, file.pathname.slice(ROOT.pathname.length));
      }
    }
  }
  assert.ok(seen.size >= 10, `found the reason literals (${seen.size})`);
  for (const [reason, file] of seen) {
    assert.ok(
      known.has(reason) || allowReasons.has(reason),
      `${file} produces reason "${reason}", which DENIAL_REASONS does not list`,
    );
  }
  for (const reason of GATEWAY_REASONS) {
    assert.ok(seen.has(reason), `"${reason}" is produced somewhere`);
  }
});

Deno.test("DENIAL_REASONS has no duplicates and starts with the pipeline's reasons", () => {
  assert.equal(new Set(DENIAL_REASONS).size, DENIAL_REASONS.length);
  assert.deepEqual(
    DENIAL_REASONS.slice(0, Object.keys(DENY_REASONS).length),
    Object.keys(DENY_REASONS),
  );
});
