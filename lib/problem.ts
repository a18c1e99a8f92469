/**
 * RFC 9457 problem details: the one status table and problem builder of every HTTP answer apigw
 * writes itself (ext_authz denies, gateway errors, internal errors). A problem names a stable
 * `reason` for machines next to the human `detail`.
 */

/** Titles of the statuses apigw answers with (RFC 9110 reason phrases). */
export const STATUS_TITLES: Readonly<Record<number, string>> = Object.freeze({
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  413: "Content Too Large",
  414: "URI Too Long",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
});

/** Members of a problem besides `status`; extension members (`reason`, …) follow `detail`. */
export interface ProblemFields {
  type?: string;
  title?: string;
  detail?: string;
  [extension: string]: unknown;
}

/** The problem object: `type` (default `about:blank`), `title`, `status`, `detail`, extensions. */
export function problemDetails(
  status: number,
  fields: ProblemFields = {},
): Record<string, unknown> {
  const { type = "about:blank", title = STATUS_TITLES[status] ?? "Error", detail, ...extensions } =
    fields;
  return { type, title, status, ...(detail !== undefined ? { detail } : {}), ...extensions };
}

/** An `application/problem+json` answer, never cached; `headers` are kept (challenges, …). */
export function problemResponse(
  status: number,
  fields: ProblemFields = {},
  headers?: HeadersInit,
): Response {
  const merged = new Headers(headers);
  merged.set("content-type", "application/problem+json");
  merged.set("cache-control", "no-store");
  return new Response(JSON.stringify(problemDetails(status, fields)), { status, headers: merged });
}
