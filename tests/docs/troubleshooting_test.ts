/**
 * docs/troubleshooting.md against the closed lists in the code: one entry (a `### \`text\``
 * heading with a state or status, a cause and a fix) per status template of each kind and per
 * denial reason, and no entry the code does not produce.
 */
import assert from "node:assert/strict";
import { DENIAL_REASONS } from "../../core/authz/reasons.ts";
import { STATUS_TEXTS, type StatusKind } from "../../core/status_texts.ts";

const DOC = new URL("../../docs/troubleshooting.md", import.meta.url);

/** `## section` → entries `### \`code\`` → their body text. */
function entries(markdown: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  let entry: string | undefined;
  for (const line of markdown.split("\n")) {
    const h2 = /^## (.+)$/.exec(line);
    if (h2 !== null) {
      section = new Map();
      sections.set(h2[1]!, section);
      entry = undefined;
      continue;
    }
    const h3 = /^### `(.+)`$/.exec(line);
    if (h3 !== null && section !== undefined) {
      entry = h3[1]!;
      assert.ok(!section.has(entry), `entry ${entry} appears once`);
      section.set(entry, "");
      continue;
    }
    if (section !== undefined && entry !== undefined) {
      section.set(entry, `${section.get(entry)}${line}\n`);
    }
  }
  return sections;
}

const markdown = await Deno.readTextFile(DOC);
const sections = entries(markdown);

function assertComplete(title: string, expected: readonly string[], shape: RegExp) {
  const section = sections.get(title);
  assert.ok(section !== undefined, `docs/troubleshooting.md has a "## ${title}" section`);
  const missing = expected.filter((text) => !section.has(text));
  assert.deepEqual(missing, [], `${title}: entries missing from docs/troubleshooting.md`);
  const extra = [...section.keys()].filter((text) => !expected.includes(text));
  assert.deepEqual(extra, [], `${title}: entries for texts the code does not produce`);
  for (const [text, body] of section) {
    assert.match(body, shape, `${title} ${text}: says the state or status`);
    assert.match(body, /\*\*Fix\*\*/, `${title} ${text}: says the fix`);
  }
}

for (const kind of ["APIRule", "RateLimit", "APIGateway"] satisfies StatusKind[]) {
  Deno.test(`the troubleshooting guide has one entry per ${kind} status text`, () => {
    const texts = STATUS_TEXTS.filter((t) => t.kind === kind);
    assertComplete(`${kind} status`, texts.map((t) => t.template), /\*\*State\*\* `/);
    const section = sections.get(`${kind} status`)!;
    for (const text of texts) {
      assert.match(
        section.get(text.template)!,
        new RegExp(`\\*\\*State\\*\\* \`${text.state}\``),
        `${kind} "${text.template}" is documented with state ${text.state}`,
      );
    }
  });
}

Deno.test("the troubleshooting guide has one entry per denial reason", () => {
  assertComplete("Denial reasons", DENIAL_REASONS, /^\s*\*\*\d{3}\*\*/);
});

/** Reason → the statuses the code answers it with, where both are literals side by side. */
function statusesInCode(): Map<string, Set<number>> {
  const patterns = [
    /\bdeny\(\s*"[a-z]+",\s*(\d{3}),\s*"([a-z_]+)"/g,
    /\bstatus:\s*(\d{3}),\s*reason:\s*"([a-z_]+)"/g,
    /\breject\(\s*(\d{3}),\s*"([a-z_]+)"/g,
    /\bproblem\(\s*(\d{3}),\s*"([a-z_]+)"/g,
  ];
  const found = new Map<string, Set<number>>();
  const walk = (dir: URL) => {
    for (const entry of Deno.readDirSync(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) walk(url);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
        const text = Deno.readTextFileSync(url);
        for (const pattern of patterns) {
          for (const [, status, reason] of text.matchAll(pattern)) {
            found.set(reason!, (found.get(reason!) ?? new Set()).add(Number(status)));
          }
        }
      }
    }
  };
  for (const dir of ["proxy/", "core/authz/"]) walk(new URL(`../../${dir}`, import.meta.url));
  return found;
}

Deno.test("the troubleshooting guide gives each reason a status the code answers with", () => {
  const section = sections.get("Denial reasons")!;
  const inCode = statusesInCode();
  assert.ok(inCode.size >= 15, `found ${inCode.size} reasons with literal statuses`);
  for (const [reason, statuses] of inCode) {
    const body = section.get(reason);
    if (body === undefined) continue; // the completeness test reports it
    const documented = Number(/^\s*\*\*(\d{3})\*\*/.exec(body)?.[1]);
    assert.ok(
      statuses.has(documented),
      `${reason}: documented ${documented}, the code answers ${[...statuses].join(", ")}`,
    );
  }
});
