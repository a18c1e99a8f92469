/**
 * The operator's read-only status page (`apigw operator --dashboard-listen`): every APIRule and
 * RateLimit in the cache with its state, description, generation and the time it was last
 * processed. Names, states and status texts only (redacted); no spec, no Secret, nothing to post.
 */
import { html } from "hono/html";
import type { KubeObject } from "../api/meta.ts";
import { problemResponse } from "../lib/problem.ts";
import { DASHBOARD_HEADERS, redactText } from "../lib/dashboard_http.ts";

export interface StatusRow {
  kind: "APIRule" | "RateLimit";
  namespace: string;
  name: string;
  state: string;
  description: string;
  generation: number | undefined;
  observedGeneration: number | undefined;
  lastProcessed: string | undefined;
}

export interface StatusPageDeps {
  /** The cached objects of a kind. */
  list(kind: "APIRule" | "RateLimit"): readonly KubeObject[];
  /** Host header values accepted (`dashboardHosts` of the listener). */
  hosts(): readonly string[];
}

/** The rows of the cached objects, APIRules first, by namespace and name. */
export function statusRows(deps: Pick<StatusPageDeps, "list">): StatusRow[] {
  const rows: StatusRow[] = [];
  for (const kind of ["APIRule", "RateLimit"] as const) {
    for (const object of deps.list(kind)) rows.push(rowOf(kind, object));
  }
  return rows;
}

function rowOf(kind: StatusRow["kind"], object: KubeObject): StatusRow {
  const status = record(object.status);
  // v2/v2alpha1 and RateLimit: state/description; v1beta1: APIRuleStatus.code/desc.
  const legacy = record(status.APIRuleStatus);
  const text = (value: unknown) => typeof value === "string" ? value : undefined;
  const generation = object.metadata.generation;
  const observed = status.observedGeneration;
  return {
    kind,
    namespace: object.metadata.namespace ?? "",
    name: object.metadata.name ?? "",
    state: text(status.state) ?? text(legacy.code) ?? "(none yet)",
    description: redactText(text(status.description) ?? text(legacy.desc) ?? ""),
    generation: typeof generation === "number" ? generation : undefined,
    observedGeneration: typeof observed === "number" ? observed : undefined,
    lastProcessed: text(status.lastProcessedTime),
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? value as Record<string, unknown> : {};
}

/** The page's handler: `GET /` (HTML) and `GET /api/status` (JSON). */
export function statusPageHandler(deps: StatusPageDeps): (request: Request) => Response {
  return (request) => {
    const host = (request.headers.get("host") ?? "").toLowerCase();
    if (!deps.hosts().includes(host)) {
      return problemResponse(421, {
        detail: "The status page answers only to the host names it listens on",
        reason: "host_not_allowed",
      });
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return problemResponse(405, { detail: "Read-only", reason: "method_not_allowed" }, {
        allow: "GET, HEAD",
      });
    }
    const path = new URL(request.url).pathname;
    const rows = statusRows(deps);
    let response: Response;
    if (path === "/api/status") response = Response.json({ objects: rows });
    else if (path === "/") {
      response = new Response(String(page(rows)), {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    } else return problemResponse(404, { detail: "No such page", reason: "not_found" });
    for (const [name, value] of Object.entries(DASHBOARD_HEADERS)) {
      response.headers.set(name, value);
    }
    return response;
  };
}

function page(rows: readonly StatusRow[]) {
  const stateClass = (state: string) =>
    state === "Ready" || state === "OK" ? "ok" : state === "Warning" ? "warn" : "bad";
  const body = rows.length === 0
    ? html`
      <tr>
        <td colspan="6" class="muted">No APIRules or RateLimits in the cache</td>
      </tr>
    `
    : rows.map((r) =>
      html`
        <tr>
          <td>${r.kind}</td>
          <td>${r.namespace}/${r.name}</td>
          <td class="${stateClass(r.state)}">${r.state}</td>
          <td>${r.description}</td>
          <td>${r.observedGeneration === undefined
            ? r.generation ?? ""
            : `${r.observedGeneration}/${r.generation ?? "?"}`}</td>
          <td>${r.lastProcessed ?? ""}</td>
        </tr>
      `
    );
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>apigw operator status</title>
        <style>
    body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2433;background:#f7f8fa}
    table{border-collapse:collapse;width:100%;background:#fff}
    th,td{border:1px solid #d8dce3;padding:.25rem .5rem;text-align:left;vertical-align:top}
    th{background:#eef1f5}.ok{color:#17692c}.warn{color:#8a5a00}.bad{color:#a3261b}
    .muted{color:#687085}</style>
      </head>
      <body>
        <h1>apigw operator <span class="muted">status (read-only)</span></h1>
        <table id="status">
          <thead>
            <tr>
              <th>Kind</th>
              <th>Object</th>
              <th>State</th>
              <th>Description</th>
              <th>Generation</th>
              <th>Last processed</th>
            </tr>
          </thead>
          <tbody>${body}</tbody>
        </table>
      </body>
    </html>
  `;
}
