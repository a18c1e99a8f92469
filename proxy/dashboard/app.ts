/**
 * The dashboard of `apigw serve` and `apigw authz`, on its own listener: the loaded routes, the
 * last reload and the objects it refused, buckets near empty, a live stream of decisions
 * (Server-Sent Events from a bounded ring buffer, a cap on clients) and an explain form that runs
 * as a dry run. Read-only apart from the form, which changes nothing either.
 *
 * Every request must name an allowed Host (DNS rebinding); the form's POST must come from the
 * dashboard's own origin (Origin, else Sec-Fetch-Site) and carry the page's CSRF token.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import { problemResponse } from "../../lib/problem.ts";
import { readCapped } from "../../lib/http.ts";
import { DASHBOARD_HEADERS, dashboardHosts } from "../../lib/dashboard_http.ts";
import type { DryRun } from "./dry_run.ts";
import type { DecisionFeed } from "./feed.ts";
import { redactReload, type ReloadRecord, type RouteRow } from "./model.ts";
import { CLIENT_SCRIPT, type PageData, renderPage } from "./page.ts";

export interface DashboardDeps {
  /** `apigw serve`, `apigw authz`. */
  title: string;
  routes(): readonly RouteRow[];
  lastReload(): ReloadRecord | undefined;
  feed: DecisionFeed;
  dryRun: DryRun;
  /** Host header values accepted (lower case, with port): see `dashboardHosts`. */
  hosts(): readonly string[];
  /** Random per process unless a test passes one. */
  csrfToken?: string;
}

const MAX_FORM_BYTES = 16 * 1024;
const LOW_BUCKET_FRACTION = 0.2;

export { dashboardHosts };

export function createDashboardApp(deps: DashboardDeps): Hono {
  const csrf = deps.csrfToken ?? randomToken();
  const app = new Hono();

  app.use("*", async (c, next) => {
    const host = (c.req.header("host") ?? "").toLowerCase();
    if (!deps.hosts().includes(host)) {
      return problemResponse(421, {
        detail: "The dashboard answers only to the host names it listens on",
        reason: "host_not_allowed",
      });
    }
    await next();
    for (const [name, value] of Object.entries(DASHBOARD_HEADERS)) c.res.headers.set(name, value);
  });

  const page = (extra: Partial<PageData> = {}): PageData => ({
    title: deps.title,
    routes: deps.routes(),
    reload: redactReload(deps.lastReload()),
    low: deps.feed.lowBuckets(LOW_BUCKET_FRACTION),
    recent: deps.feed.recent(),
    csrf,
    ...extra,
  });

  app.get("/", (c) => c.html(renderPage(page())));

  app.get("/dashboard.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    return c.body(CLIENT_SCRIPT);
  });

  app.get("/api/state", (c) =>
    c.json({
      routes: deps.routes(),
      lastReload: redactReload(deps.lastReload()) ?? null,
      lowBuckets: deps.feed.lowBuckets(LOW_BUCKET_FRACTION),
      streamClients: deps.feed.clients(),
    }));

  app.get("/events", () => {
    const body = deps.feed.stream();
    if (body === undefined) {
      return problemResponse(503, {
        detail: "Too many live streams are open; try again later",
        reason: "too_many_clients",
      }, { "retry-after": "5" });
    }
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "x-accel-buffering": "no" },
    });
  });

  app.post("/explain", async (c) => {
    const host = (c.req.header("host") ?? "").toLowerCase();
    const origin = c.req.header("origin");
    const site = c.req.header("sec-fetch-site");
    const sameOrigin = origin !== undefined
      ? origin.toLowerCase() === `http://${host}` || origin.toLowerCase() === `https://${host}`
      : site === "same-origin";
    if (!sameOrigin) {
      return refuse(c.req.raw, 403, "cross_origin", "Cross-origin posts are refused");
    }
    const text = await readCapped(new Response(c.req.raw.body), MAX_FORM_BYTES);
    if (text === undefined) return refuse(c.req.raw, 413, "body_too_large", "Form too large");
    const form = new URLSearchParams(text);
    if (!sameToken(form.get("csrf") ?? "", csrf)) {
      return refuse(c.req.raw, 403, "csrf_token", "Missing or wrong CSRF token: reload the page");
    }
    const input = {
      method: (form.get("method") ?? "GET").slice(0, 32) || "GET",
      url: form.get("url") ?? "",
      headers: form.get("headers") ?? "",
    };
    const result = await deps.dryRun.explain(input);
    const explained = result.ok
      ? { input: { method: input.method }, report: result.value }
      : { input: { method: input.method }, error: result.error };
    return c.html(renderPage(page({ explained })), result.ok ? 200 : 400);
  });

  app.notFound(() => problemResponse(404, { detail: "No such page", reason: "not_found" }));
  return app;
}

/** A problem answer; a short HTML page for a browser's form post (it would not show JSON). */
function refuse(request: Request, status: number, reason: string, detail: string): Response {
  if (!(request.headers.get("accept") ?? "").includes("text/html")) {
    return problemResponse(status, { detail, reason });
  }
  const page = html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>Refused</title>
      </head>
      <body>
        <h1>${status} refused</h1>
        <p id="refusal"><code>${reason}</code>: ${detail}</p>
      </body>
    </html>
  `;
  return new Response(String(page), {
    status,
    headers: { "content-type": "text/html; charset=utf-8" },
  });
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(
    /[+/=]/g,
    (ch) => ch === "+" ? "-" : ch === "/" ? "_" : "",
  );
}

/** Constant-time comparison of two tokens. */
function sameToken(given: string, expected: string): boolean {
  if (given.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < given.length; i++) diff |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}
