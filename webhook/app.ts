/**
 * The webhook HTTP app: POST /convert answers ConversionReviews (admission arrives with the
 * webhooks issue). A request flows: size limit → JSON parse → `answerConversionReview` → JSON
 * answer; every answer is logged with its outcome. `createWebhookApp` does not listen.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "../lib/log.ts";
import { answerConversionReview, type Converter } from "./conversion_review.ts";

export interface WebhookDeps {
  convert: Converter;
  log: Logger;
  /** Largest accepted request body; reviews of big lists need room. */
  maxBodyBytes?: number;
}

// A review carries at most what one list call returns; 64 MiB is far above etcd's object limits
// times a generous list size, and still bounds memory per request.
const DEFAULT_MAX_BODY = 64 * 1024 * 1024;

/** Builds the webhook app over its dependencies. */
export function createWebhookApp(deps: WebhookDeps): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.text("ok"));
  app.post(
    "/convert",
    bodyLimit({
      maxSize: deps.maxBodyBytes ?? DEFAULT_MAX_BODY,
      onError: (c) => c.text("ConversionReview body too large", 413),
    }),
    async function convertHandler(c) {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        deps.log.warn("Rejected ConversionReview", { reason: "invalid_json" });
        return c.text("Body is not valid JSON", 400);
      }
      const outcome = answerConversionReview(body, deps.convert);
      if (outcome.status === 400) {
        deps.log.warn("Rejected ConversionReview", { reason: outcome.reason });
        return c.text(outcome.reason, 400);
      }
      deps.log[outcome.failed ? "warn" : "debug"]("Answered ConversionReview", {
        converted: outcome.converted,
        failed: outcome.failed,
      });
      return c.json(outcome.body);
    },
  );
  app.onError((error, c) => {
    deps.log.error("Failed to handle webhook request", { error, path: c.req.path });
    return c.text("Internal error", 500);
  });
  return app;
}
