/**
 * The APIGateway controller (docs/spec/apigateway.md §2–§11): the oldest APIGateway installs the module's
 * infrastructure as the planner describes it; apigw fills in generated key material, waits for
 * the Oathkeeper Deployment by re-checking rather than by blocking a worker, and removes its
 * finalizers only after everything it installed is gone (§15 weak spots 1 and 6).
 */
import type { KubeObject } from "../../api/meta.ts";
import type { OathkeeperImages } from "../../core/apigateway/oathkeeper_deployment.ts";
import { planAPIGateway } from "../../core/apigateway/plan.ts";
import {
  kymaGatewayFailed,
  oathkeeperFailed,
  type Outcome as StatusOutcome,
  statusOf,
} from "../../core/apigateway/status.ts";
import type { KubeClient } from "../../kube/client.ts";
import type { EventRecorder } from "../../kube/events.ts";
import { getObject } from "../../kube/objects.ts";
import { resourceType } from "../../kube/resources.ts";
import type { ClusterCache } from "../cache.ts";
import type { Controller } from "../controller.ts";
import { executePlan, type Failure } from "../execute_plan.ts";
import { outcomeOf } from "../outcome.ts";
import { withGeneratedData } from "./generated_secrets.ts";

export interface APIGatewayControllerDeps {
  client: KubeClient;
  cache: ClusterCache;
  events: EventRecorder;
  now: () => Date;
  images: OathkeeperImages;
  moduleVersion: string;
}

const GROUP = "operator.kyma-project.io";
const SECRET = resourceType("", "Secret");

/** Objects of the Kyma Gateway step (§7), by kind and name. */
const KYMA_GATEWAY_OBJECTS = new Set([
  "DNSEntry/kyma-gateway",
  "Certificate/kyma-tls-cert",
  "Secret/kyma-gateway-certs",
  "VirtualService/istio-healthz",
  "Gateway/kyma-gateway",
  "ConfigMap/api-gateway-apirule-v1beta1-ui.operator.kyma-project.io",
  "ConfigMap/api-gateway-apirule-v2alpha1-ui.operator.kyma-project.io",
]);

/** The controller of APIGateways. */
export function apiGatewayController(deps: APIGatewayControllerDeps): Controller {
  return {
    name: "apigateway",
    async reconcile(key, context) {
      const cr = deps.cache.get(GROUP, "APIGateway", "", key);
      if (cr === undefined) return { kind: "done" };
      const now = deps.now();
      const plan = planAPIGateway(cr, deps.cache.snapshot(), {
        now,
        images: deps.images,
        moduleVersion: deps.moduleVersion,
        awaitOathkeeper: true,
      });
      const execution = await executePlan(cr, plan, {
        // Every object the plan deletes has a name the spec reserves for the module.
        owns: () => true,
        failureStatus: (failures) => statusOf(failureOutcome(failures), now),
        prepare: (objects) =>
          withGeneratedData(objects, plan.generate, {
            now,
            read: async (namespace, name) => {
              const secret = await getObject(deps.client, { type: SECRET, namespace, name }, {
                signal: context.signal,
              });
              if (secret.ok) return secret;
              return secret.error.reason === "NotFound" ? { ok: true, value: undefined } : secret;
            },
          }),
      }, { ...deps, ...context });
      const outcome = outcomeOf(execution, plan, { what: `APIGateway "${key}"` });
      context.log.info("Reconciled APIGateway", { state: plan.state, outcome: outcome.kind });
      return outcome;
    },
  };
}

/** The status step a failed object belongs to (table 4.2). */
function failureOutcome(failures: readonly Failure[]): StatusOutcome {
  const first = failures[0];
  const detail = failures.map((f) => f.error.message).join(", ");
  const object: KubeObject | undefined = first?.object;
  if (object?.kind === "NetworkPolicy") {
    return {
      state: "Error",
      description: detail,
      reason: "ReconcileFailed",
      message: "Reconciliation failed",
    };
  }
  if (
    object !== undefined && KYMA_GATEWAY_OBJECTS.has(`${object.kind}/${object.metadata.name ?? ""}`)
  ) {
    return kymaGatewayFailed(detail);
  }
  if (object?.kind.startsWith("VerticalPodAutoscaler")) {
    return {
      state: "Error",
      description: `Error during VPA reconciliation: ${detail}`,
      reason: "ReconcileFailed",
      message: "Reconciliation failed",
    };
  }
  return oathkeeperFailed(detail);
}
