/**
 * The dashboard's one page, rendered on the server with Hono's `html` template (every value is
 * escaped). The live decision table is filled by `/dashboard.js` from the SSE stream; everything
 * else is plain HTML that works without script.
 */
import { html } from "hono/html";
import type { BucketLevel, DecisionEvent } from "../decisions.ts";
import type { ExplainInput, ExplainReport } from "./dry_run.ts";
import type { ReloadRecord, RouteRow } from "./model.ts";
import { redactText } from "./model.ts";

export interface PageData {
  title: string;
  routes: readonly RouteRow[];
  reload: ReloadRecord | undefined;
  low: readonly BucketLevel[];
  recent: readonly DecisionEvent[];
  csrf: string;
  explained?: { input: Pick<ExplainInput, "method">; report?: ExplainReport; error?: string };
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2433;background:#f7f8fa}
h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.4rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d8dce3;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f5}code{font-size:12px}
.deny{color:#a3261b}.allow{color:#17692c}.muted{color:#687085}
.cols{display:grid;grid-template-columns:3fr 2fr;gap:1.5rem;align-items:start}
form{background:#fff;border:1px solid #d8dce3;padding:.8rem;display:grid;gap:.5rem}
label{display:grid;gap:.2rem}input,textarea{font:12px monospace;padding:.2rem}
textarea{height:3.2rem}#stream tbody tr:first-child{background:#fffbe0}
#explain-result{background:#fff;border:1px solid #d8dce3;border-top:0;padding:.1rem .8rem}
`;

export function renderPage(data: PageData) {
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>${data.title} dashboard</title>
        <meta name="viewport" content="width=device-width">
        <style>${STYLE}</style>
      </head>
      <body><h1>${data.title} <span class="muted">dashboard (read-only)</span></h1>
    <h2>Routes</h2>${routesTable(data.routes)}
    <div class="cols"><section>${liveTable(data)}</section>
    <section>${reloadSection(data.reload)}${bucketsSection(data.low)}${explainForm(data)}</section>
    </div><script src="/dashboard.js" defer></script></body>
    </html>
  `;
}

function routesTable(routes: readonly RouteRow[]) {
  const rows = routes.length === 0
    ? html`
      <tr>
        <td colspan="7" class="muted">No routes loaded</td>
      </tr>
    `
    : routes.map((r) =>
      html`
        <tr>
          <td>${r.host}</td>
          <td><code>${r.path}</code></td>
          <td>${r.methods.join(", ")}</td>
          <td>${r.auth}</td>
          <td>${r.upstream ?? "(Envoy route)"}</td>
          <td>${r.limits.length === 0
            ? html`<span class="muted">none</span>`
            : r.limits.map((l) => html`<div>${l}</div>`)}</td>
          <td><code>${r.rule}</code></td>
        </tr>
      `
    );
  return html`
    <table id="routes">
      <thead>
        <tr>
          <th>Host</th>
          <th>Path</th>
          <th>Methods</th>
          <th>Auth</th>
          <th>Upstream</th>
          <th>Limits</th>
          <th>Rule</th>
        </tr>
      </thead>
      <tbody>${rows}</tbody>
    </table>
  `;
}

function liveTable(data: PageData) {
  return html`
    <h2>Live decisions</h2>
    <p class="muted">The last ${data.recent.length} decisions, then new ones as they happen:
    <span id="stream-state">connecting…</span></p>
    <table id="stream">
      <thead>
        <tr>
          <th>Time</th>
          <th>Method</th>
          <th>Host</th>
          <th>Path</th>
          <th>Status</th>
          <th>Reason</th>
          <th>Rule</th>
          <th>ms</th>
        </tr>
      </thead>
      <tbody></tbody>
    </table>
  `;
}

function reloadSection(reload: ReloadRecord | undefined) {
  if (reload === undefined) {
    return html`
      <h2>Last reload</h2>
      <div id="reload">
        <p class="muted">Not loaded yet</p>
      </div>
    `;
  }
  const refused = reload.refused.length === 0 ? "" : html`
    <table id="refused">
      <thead>
        <tr>
          <th>Object</th>
          <th>Field</th>
          <th>Reason</th>
        </tr>
      </thead>
      <tbody>${reload.refused.map((p) =>
        html`
          <tr>
            <td>${redactText(p.object)}</td>
            <td>${p.field ?? ""}</td>
            <td>${redactText(p.reason)}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
  return html`
    <h2>Last reload</h2>
    <div id="reload"><p>
    <span class="${reload.outcome === "ok" ? "allow" : "deny"}">${reload.outcome}</span>
    at <time>${new Date(reload.at).toISOString()}</time>: ${reload.routes} routes served,
    ${reload.refused.length} objects refused</p>${refused}</div>
  `;
}

function bucketsSection(low: readonly BucketLevel[]) {
  const body = low.length === 0
    ? html`<p class="muted">None at or below 20% (as last seen by a request)</p>`
    : html`<ul>${
      low.map((b) =>
        html`<li><code>${b.policy}</code>: ${b.remaining} of ${b.maxTokens} tokens left</li>`
      )
    }</ul>`;
  return html`
    <h2>Buckets near empty</h2>
    <div id="buckets">${body}</div>
  `;
}

function explainForm(data: PageData) {
  return html`
    <h2>Explain a request (dry run)</h2>
    <form id="explain" method="post" action="/explain">
      <input type="hidden" name="csrf" value="${data.csrf}">
      <label>Method <input name="method" value="${data.explained?.input.method ?? "GET"}"></label>
      <label>URL <input name="url" placeholder="http://echo.localhost/public/hello"></label>
      <label>Headers (Name: value per line; values are never shown back)
    <textarea name="headers"></textarea></label>
      <button type="submit">Explain</button>
      <small class="muted">No rate-limit tokens are taken and no identity provider is called: a
    token's signature is not checked here.</small>
    </form>${data.explained === undefined ? "" : explainResult(data.explained)}
  `;
}

function explainResult(explained: NonNullable<PageData["explained"]>) {
  const { report } = explained;
  if (report === undefined) {
    return html`
      <div id="explain-result">
        <p class="deny">${explained.error ?? ""}</p>
      </div>
    `;
  }
  return html`<div id="explain-result">
<p><strong class="${report.allow ? "allow" : "deny"}">${
    report.allow ? "allow" : "deny"
  } (${report.status})</strong>
at step <code>${report.step}</code>: <code id="explain-reason">${report.reason}</code>${
    report.detail === undefined ? "" : html`
      (${report.detail})
    `
  }</p>
<p>Request: ${
    report.request === undefined
      ? "(not canonical)"
      : html`<code>${report.request.method} ${report.request.host}${report.request.path}</code>${
        report.request.queryParameters.length === 0 ? "" : html`
          with query parameters ${report.request.queryParameters.join(", ")} (values hidden)
        `
      }`
  }</p>
<p>Rule: <code>${report.rule ?? "(none matched)"}</code></p>
${
    report.headers.length === 0
      ? ""
      : html`<p>Headers sent: ${
        report.headers.map((h) => `${h.name} (${h.bytes} bytes)`).join(", ")
      }</p>`
  }
${
    report.limits.length === 0
      ? ""
      : html`<p>Would draw from (not taken): ${report.limits.join("; ")}</p>`
  }
</div>`;
}

/** The page's client script: the live table from `/events`, built with textContent only. */
export const CLIENT_SCRIPT = `"use strict";
(() => {
  const body = document.querySelector("#stream tbody");
  const state = document.getElementById("stream-state");
  const MAX_ROWS = 100;
  const source = new EventSource("/events");
  source.onopen = () => { state.textContent = "live"; };
  source.onerror = () => { state.textContent = "reconnecting…"; };
  source.addEventListener("decision", (message) => {
    const e = JSON.parse(message.data);
    const row = document.createElement("tr");
    row.className = e.status < 400 ? "allow" : "deny";
    const cells = [new Date(e.at).toISOString().slice(11, 23), e.method, e.host, e.path,
      String(e.status), e.reason, e.rule ?? "", String(e.durationMs)];
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.appendChild(cell);
    }
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
  });
})();
`;
