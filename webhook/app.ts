/**
 * The webhook HTTP app. A request flows: size limit → JSON parse → the review function of its
 * path → JSON answer, logged with its outcome. `createWebhookApp` does not listen.
 *
 * - `POST /convert`: CRD conversion (ConversionReview v1 and v1beta1)
 * - `POST /validate-gateway-kyma-project-io-apirule`, `…-ratelimit`: validating admission
 * - `POST /mutate-gateway-kyma-project-io-v2alpha1-apirule`: v2alpha1 defaulting
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "../lib/log.ts";
import { answerConversionReview, type Converter } from "./conversion_review.ts";
import { type AdmissionHandler, answerAdmissionReview } from "./admission_review.ts";
import { defaultAdmission, validateAdmission } from "./admission_handlers.ts";

import { CONVERT_PATH } from "../api/crds.ts";
import {
  MUTATE_APIRULE_PATH,
  VALIDATE_APIRULE_PATH,
  VALIDATE_RATELIMIT_PATH,
} from "../api/webhook_configurations.ts";

export { CONVERT_PATH, MUTATE_APIRULE_PATH, VALIDATE_APIRULE_PATH, VALIDATE_RATELIMIT_PATH };

export interface WebhookDeps {
  convert: Converter;
  log: Logger;
  /** Largest accepted request body; reviews of big lists need room. */
  maxBodyBytes?: number;
  /** Whether the certificate is loaded; `/readyz` answers 503 until it is. */
  ready?: () => boolean;
  /** Called once per review request with its own handling time (see `ReviewTiming`). */
  observe?: (timing: ReviewTiming) => void;
}

/** The webhook's own time for one review request, without the network and TLS around it. */
export interface ReviewTiming {
  /** `conversion`, `validate-apirule`, `validate-ratelimit` or `mutate-apirule`. */
  webhook: string;
  /** The HTTP status answered. */
  code: number;
  /** From the handler's start (body not yet read) until the answer is built. */
  seconds: number;
  /**
   * The synchronous part (JSON parse, review, JSON serialisation): event-loop time, which is the
   * call's CPU time on the JavaScript thread.
   */
  computeSeconds: number;
}

// A review carries at most what one list call returns; 64 MiB is far above etcd's object limits
// times a generous list size, and still bounds memory per request.
const DEFAULT_MAX_BODY = 64 * 1024 * 1024;

type Review =
  | { status: 200; body: Record<string, unknown>; failed: boolean }
  | { status: 400; reason: string };

/** Builds the webhook app over its dependencies. */
export function createWebhookApp(deps: WebhookDeps): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.text("ok"));
  app.get(
    "/readyz",
    (c) => (deps.ready?.() ?? true) ? c.text("ok") : c.text("certificate not loaded", 503),
  );

  const observe = deps.observe ?? (() => {});

  function route(
    path: string,
    kind: string,
    webhook: string,
    answer: (body: unknown) => Review,
  ): void {
    app.post(
      path,
      bodyLimit({
        maxSize: deps.maxBodyBytes ?? DEFAULT_MAX_BODY,
        onError: (c) => c.text(`${kind} body too large`, 413),
      }),
      async function reviewHandler(c) {
        const started = performance.now();
        const text = await c.req.text();
        const computing = performance.now();
        const done = (response: Response) => {
          const end = performance.now();
          observe({
            webhook,
            code: response.status,
            seconds: (end - started) / 1000,
            computeSeconds: (end - computing) / 1000,
          });
          return response;
        };
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          deps.log.warn(`Rejected ${kind}`, { path, reason: "invalid_json" });
          return done(c.text("Body is not valid JSON", 400));
        }
        const outcome = answer(body);
        if (outcome.status === 400) {
          deps.log.warn(`Rejected ${kind}`, { path, reason: outcome.reason });
          return done(c.text(outcome.reason, 400));
        }
        deps.log[outcome.failed ? "info" : "debug"](`Answered ${kind}`, {
          path,
          failed: outcome.failed,
        });
        return done(c.json(outcome.body));
      },
    );
  }

  route(CONVERT_PATH, "ConversionReview", "conversion", (body) => {
    const outcome = answerConversionReview(body, deps.convert);
    return outcome.status === 400
      ? outcome
      : { status: 200, body: outcome.body, failed: outcome.failed };
  });
  const admission = (handler: AdmissionHandler) => (body: unknown): Review => {
    const outcome = answerAdmissionReview(body, handler);
    return outcome.status === 400
      ? outcome
      : { status: 200, body: outcome.body, failed: !outcome.allowed };
  };
  route(VALIDATE_APIRULE_PATH, "AdmissionReview", "validate-apirule", admission(validateAdmission));
  route(
    VALIDATE_RATELIMIT_PATH,
    "AdmissionReview",
    "validate-ratelimit",
    admission(validateAdmission),
  );
  route(MUTATE_APIRULE_PATH, "AdmissionReview", "mutate-apirule", admission(defaultAdmission));

  app.onError((error, c) => {
    deps.log.error("Failed to handle webhook request", { error, path: c.req.path });
    return c.text("Internal error", 500);
  });
  return app;
}
