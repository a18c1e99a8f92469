/**
 * The part of Go's text/template that Oathkeeper mutator configs use in practice:
 * `{{ print .Subject }}`, `{{ .Extra.email }}`, `{{ index .Extra "x-y" }}`,
 * `{{ .MatchContext.Method }}` and `{{ .MatchContext.URL.Path }}`/`.Host`. Anything else is
 * refused when the rule loads, so a template never fails differently per request.
 */

/** What a template reads. */
export interface TemplateSession {
  subject: string;
  extra: Readonly<Record<string, unknown>>;
  match: { method: string; host: string; path: string };
}

type Part = { text: string } | { path: readonly string[] };

/** A compiled template. */
export interface Template {
  readonly source: string;
  readonly parts: readonly Part[];
}

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Compiles `source`; the error names the first unsupported action. */
export function compileTemplate(
  source: string,
): { ok: true; value: Template } | { ok: false; error: string } {
  const parts: Part[] = [];
  let last = 0;
  for (const match of source.matchAll(ACTION)) {
    if (match.index > last) parts.push({ text: source.slice(last, match.index) });
    const path = actionPath(match[1]!);
    if (path === undefined) {
      return { ok: false, error: `template action "{{ ${match[1]} }}" is not supported` };
    }
    parts.push({ path });
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push({ text: source.slice(last) });
  if (parts.some((p) => "text" in p && p.text.includes("{{"))) {
    return { ok: false, error: `template "${source}" has an unclosed action` };
  }
  return { ok: true, value: { source, parts } };
}

/** Renders `template`; a value that is absent renders as "", as with `missingkey=zero`. */
export function renderTemplate(
  template: Template,
  session: TemplateSession,
  escape: (value: string) => string = (v) => v,
): string {
  let out = "";
  for (const part of template.parts) {
    out += "text" in part ? part.text : escape(goPrint(lookup(session, part.path)));
  }
  return out;
}

function actionPath(action: string): string[] | undefined {
  let expr = action.trim();
  if (expr.startsWith("print ")) expr = expr.slice(6).trim();
  const index = /^index\s+\.Extra\s+"([^"\\]*)"$/.exec(expr);
  if (index !== null) return ["Extra", index[1]!];
  if (!expr.startsWith(".")) return undefined;
  const path = expr.slice(1).split(".");
  if (!path.every((p) => IDENT.test(p) || (path[0] === "Extra" && /^[^\s"{}]+$/.test(p)))) {
    return undefined;
  }
  const [root, ...rest] = path;
  if (root === "Subject" && rest.length === 0) return path;
  if (root === "Extra") return path;
  if (root === "MatchContext") {
    const key = rest.join(".");
    return ["Method", "URL.Path", "URL.Host"].includes(key) ? path : undefined;
  }
  return undefined;
}

function lookup(session: TemplateSession, path: readonly string[]): unknown {
  const [root, ...rest] = path;
  if (root === "Subject") return session.subject;
  if (root === "MatchContext") {
    const key = rest.join(".");
    return key === "Method"
      ? session.match.method
      : key === "URL.Path"
      ? session.match.path
      : session.match.host;
  }
  let value: unknown = session.extra;
  for (const key of rest) {
    value = isRecord(value) ? value[key] : undefined;
  }
  return value;
}

// Go's fmt.Sprint for JSON values: lists as `[a b]`, objects as `map[k:v]` sorted by key.
function goPrint(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(goPrint).join(" ")}]`;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[${entries.map(([k, v]) => `${k}:${goPrint(v)}`).join(" ")}]`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
