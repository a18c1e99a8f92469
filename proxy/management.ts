/**
 * The management app of `apigw authz`, on its own listener so a client routed through the
 * gateway can never reach it: `/healthz` (the process serves), `/readyz` (a rule index is
 * loaded), `/metrics` (Prometheus text). `createManagementApp` does not listen.
 */
import { Hono } from "hono";

export interface ManagementDeps {
  /** True once the first rule snapshot has been compiled. */
  ready(): boolean;
  metrics: { render(): string };
}

/** Builds the management app. */
export function createManagementApp(deps: ManagementDeps): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.text("ok"));
  app.get("/readyz", (c) => deps.ready() ? c.text("ok") : c.text("no rule index loaded", 503));
  app.get("/metrics", (c) =>
    c.body(deps.metrics.render(), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    }));
  return app;
}
