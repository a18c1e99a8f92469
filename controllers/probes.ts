/**
 * The operator's HTTP endpoints (docs/spec/operator-config.md §3): `/healthz` answers while the process
 * serves, `/readyz` only once every informer has synced (the stricter readiness the spec
 * recommends), `/metrics` in the Prometheus text format.
 */

/** A fetch handler for the probe endpoints, and `/metrics` when `metrics` is given. */
export function probeHandler(options: {
  ready: () => boolean;
  metrics?: () => string;
}): (request: Request) => Response {
  return function probes(request) {
    const path = new URL(request.url).pathname;
    if (path === "/healthz") return text(200, "ok\n");
    if (path === "/readyz") {
      return options.ready() ? text(200, "ok\n") : text(503, "informers not synced\n");
    }
    if (path === "/metrics" && options.metrics !== undefined) {
      return new Response(options.metrics(), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    return text(404, "not found\n");
  };
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}
