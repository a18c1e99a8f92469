/**
 * The webhook certificate. On every replica, an informer on the Secret feeds the webhook server
 * the current pair (serving.ts); readiness waits for the first one. On the leader, the
 * controller (controller.ts) keeps the Secret valid and every `caBundle` in step with it,
 * triggered by changes to the Secret, the APIRule CRD and the webhook configurations, and by its
 * own timers (renewal time, end of the overlap, hourly re-check).
 */
import {
  APIRULE_CRD_NAME,
  MUTATING_WEBHOOK_CONFIGURATION,
  VALIDATING_WEBHOOK_CONFIGURATION,
} from "../../api/webhook_configurations.ts";
import type { Logger } from "../../lib/log.ts";
import type { KubeClient } from "../../kube/client.ts";
import { Informer, type InformerOptions } from "../../kube/informer.ts";
import type { LeaderElector } from "../../kube/leader.ts";
import { WorkQueue } from "../../kube/queue.ts";
import type { RateLimiterOptions } from "../../kube/rate_limiter.ts";
import { resourceType } from "../../kube/resources.ts";
import { runController } from "../controller.ts";
import type { OperatorMetrics } from "../operator_metrics.ts";
import {
  certificateController,
  certificateKey,
  type CertificateMaterial,
  type CertificateSettings,
} from "./controller.ts";
import { certificateLoader, type ServingServer } from "./serving.ts";
import { sleep } from "../../lib/sleep.ts";

export type { CertificateMaterial, CertificateSettings, ServingServer };

export interface WebhookCertificates {
  /** True once this replica serves a certificate. */
  ready(): boolean;
  /** Runs the controller while `leading` is not aborted. */
  lead(
    leading: AbortSignal,
    deps: { log: Logger; metrics: OperatorMetrics; leader?: LeaderElector },
  ): Promise<void>;
  /** Resolves once the informers stopped (after the start signal aborted). */
  readonly stopped: Promise<void>;
}

/** Starts the informers and the loader; the controller runs when `lead()` is called. */
export function startWebhookCertificates(options: {
  client: KubeClient;
  log: Logger;
  signal: AbortSignal;
  settings: CertificateSettings;
  material: CertificateMaterial;
  server: ServingServer;
  rateLimiter: RateLimiterOptions;
}): WebhookCertificates {
  const { client, settings, server, log } = options;
  const named = (type: InformerOptions["type"], name: string, namespace?: string) =>
    new Informer(client, {
      type,
      fieldSelector: `metadata.name=${name}`,
      ...(namespace === undefined ? {} : { namespace }),
      // The CRD is large and only its change matters here: the controller reads it itself.
      ...(type.kind === "CustomResourceDefinition" ? { metadataOnly: true } : {}),
    }, log);
  const secret = named(resourceType("", "Secret"), settings.secretName, settings.namespace);
  const informers = [
    secret,
    named(resourceType("apiextensions.k8s.io", "CustomResourceDefinition"), APIRULE_CRD_NAME),
    named(
      resourceType("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
      MUTATING_WEBHOOK_CONFIGURATION,
    ),
    named(
      resourceType("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
      VALIDATING_WEBHOOK_CONFIGURATION,
    ),
  ];
  const now = () => new Date();
  const load = certificateLoader({
    store: secret.store,
    ref: { namespace: settings.namespace, name: settings.secretName },
    server,
    material: options.material,
    log: log.child({ component: "webhook-certificate" }),
    now,
  });
  const queue = new WorkQueue(options.rateLimiter);
  const key = certificateKey(settings);
  secret.onChange(() => void load());
  for (const informer of informers) informer.onChange(() => queue.add(key));
  const stopped = Promise.all(informers.map((i) => i.run(options.signal))).then(() => {
    queue.shutDown();
  });
  const controller = certificateController({
    client,
    settings,
    material: options.material,
    served: () => server.current,
    now,
    sleep,
  });
  return {
    ready: () => server.current !== undefined,
    async lead(leading, deps) {
      const stop = () => queue.shutDown();
      leading.addEventListener("abort", stop, { once: true });
      if (leading.aborted) stop();
      queue.add(key);
      await runController(controller, {
        queue,
        log: deps.log,
        metrics: deps.metrics,
        concurrency: 1,
        ...(deps.leader === undefined ? {} : { leader: deps.leader }),
      }, leading);
      leading.removeEventListener("abort", stop);
    },
    stopped,
  };
}
