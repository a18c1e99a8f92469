/**
 * The management app of `apigw authz`, on its own listener so a client routed through the
 * gateway can never reach it: `/healthz` (the process serves), `/readyz` (a rule index is
 * loaded), `/metrics` (Prometheus text), and `/.well-known/jwks.json`, the public keys of the
 * `id_token` mutator, for backends to verify the tokens apigw signs. It does not listen.
 */
import { Hono } from "hono";

export interface ManagementDeps {
  /** True once the first rule snapshot has been compiled. */
  ready(): boolean;
  metrics: { render(): string };
  /** The id_token signer's public keys. */
  jwks?: () => Promise<unknown>;
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
  const jwks = deps.jwks;
  if (jwks !== undefined) {
    app.get("/.well-known/jwks.json", async (c) =>
      c.json(await jwks(), 200, {
        // Short: backends see the next key a whole rotation period before it signs anyway.
        "cache-control": "public, max-age=300",
      }));
  }
  return app;
}
