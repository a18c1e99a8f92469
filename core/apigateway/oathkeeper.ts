/**
 * The Ory Oathkeeper stack (docs/spec/apigateway.md §8.3): installed whenever the owner APIGateway exists
 * (spec README decision 1: no signed-access gate, never the "disabled" path of §8.2) and deleted
 * with it. The running operator also waits for the Deployment to become available, by requeueing
 * rather than by blocking a worker (§15 weak spot 6).
 */
import type { KubeObject } from "../../api/meta.ts";
import { SECURITY_V1 } from "../istio/types.ts";
import type { Snapshot } from "../snapshot.ts";
import { KYMA_SYSTEM, reference } from "./_meta.ts";
import { listAt, stringAt, timeOf, valueAt } from "./_read.ts";
import { clusterSize } from "./cluster_size.ts";
import type { GeneratedSecret } from "./generated.ts";
import {
  CONFIG_MAP,
  JWKS_SECRET,
  jwksMaterial,
  jwksSecret,
  oathkeeperConfigMap,
} from "./oathkeeper_config.ts";
import { oathkeeperDeployment, type OathkeeperImages } from "./oathkeeper_deployment.ts";
import {
  MAESTER_CLUSTER_ROLE,
  MAESTER_CLUSTER_ROLE_BINDING,
  MAESTER_METRICS,
  MAESTER_SERVICE_ACCOUNT,
  maesterClusterRole,
  maesterClusterRoleBinding,
  maesterPeerAuthentication,
  maesterServiceAccount,
} from "./oathkeeper_maester.ts";
import { oathkeeperRuleCRD, oathkeeperRuleCRDReference } from "./oathkeeper_rule_crd.ts";
import { oathkeeperHPA, oathkeeperHPAReference, oathkeeperPDB } from "./oathkeeper_scaling.ts";
import {
  OATHKEEPER,
  OATHKEEPER_API,
  OATHKEEPER_PROXY,
  oathkeeperServiceAccount,
  oathkeeperServices,
} from "./oathkeeper_services.ts";

/** How long the Deployment may stay unavailable before the CR reports an error (upstream: 2 min). */
export const AVAILABILITY_TIMEOUT_MS = 120_000;

export interface OathkeeperStack {
  /** In upstream's apply order (§8.3). */
  apply: KubeObject[];
  /** The HPA on evaluation clusters. */
  delete: KubeObject[];
  generate: GeneratedSecret[];
}

/** The desired Oathkeeper objects for the cluster's size and domain. */
export function oathkeeperStack(
  snapshot: Snapshot,
  options: { images: OathkeeperImages; domain: string },
): OathkeeperStack {
  const size = clusterSize(snapshot);
  const replicas = valueAt(existingDeployment(snapshot), "spec", "replicas");
  const deployment = oathkeeperDeployment(size, {
    images: options.images,
    ...(typeof replicas === "number" && Number.isInteger(replicas) && replicas >= 0
      ? { replicas }
      : {}),
  });
  return {
    apply: [
      oathkeeperRuleCRD(),
      maesterPeerAuthentication(),
      maesterServiceAccount(),
      maesterClusterRole(),
      maesterClusterRoleBinding(),
      jwksSecret(),
      oathkeeperConfigMap(options.domain),
      ...(size === "Production" ? [oathkeeperHPA()] : []),
      oathkeeperServiceAccount(),
      ...oathkeeperServices(),
      deployment,
      oathkeeperPDB(),
    ],
    delete: size === "Production" ? [] : [oathkeeperHPAReference()],
    generate: [jwksMaterial()],
  };
}

/** Every object of the stack, to delete on teardown (the CRD last, as upstream does). */
export function oathkeeperReferences(): KubeObject[] {
  return [
    reference(SECURITY_V1, "PeerAuthentication", KYMA_SYSTEM, MAESTER_METRICS),
    reference("v1", "ServiceAccount", KYMA_SYSTEM, MAESTER_SERVICE_ACCOUNT),
    reference("rbac.authorization.k8s.io/v1", "ClusterRole", "", MAESTER_CLUSTER_ROLE),
    reference(
      "rbac.authorization.k8s.io/v1",
      "ClusterRoleBinding",
      "",
      MAESTER_CLUSTER_ROLE_BINDING,
    ),
    reference("v1", "Secret", KYMA_SYSTEM, JWKS_SECRET),
    reference("v1", "ConfigMap", KYMA_SYSTEM, CONFIG_MAP),
    oathkeeperHPAReference(),
    reference("v1", "ServiceAccount", KYMA_SYSTEM, OATHKEEPER),
    ...[OATHKEEPER_API, MAESTER_METRICS, OATHKEEPER_PROXY].map((name) =>
      reference("v1", "Service", KYMA_SYSTEM, name)
    ),
    reference("apps/v1", "Deployment", KYMA_SYSTEM, OATHKEEPER),
    reference("policy/v1", "PodDisruptionBudget", KYMA_SYSTEM, OATHKEEPER),
    oathkeeperRuleCRDReference(),
  ];
}

/** Whether the Oathkeeper Deployment serves, is still starting, or did not start in time. */
export type Availability =
  | { status: "Available" }
  | { status: "Starting"; detail: string }
  | { status: "Failed"; detail: string };

/**
 * The availability of Deployment `kyma-system/ory-oathkeeper` as the snapshot shows it. It has
 * failed once its rollout exceeded its progress deadline, or once it has been unavailable (or
 * without an `Available` condition since its creation) for longer than two minutes.
 */
export function oathkeeperAvailability(snapshot: Snapshot, now: Date): Availability {
  const deployment = existingDeployment(snapshot);
  const name = `Deployment ${KYMA_SYSTEM}/${OATHKEEPER}`;
  if (deployment === undefined) {
    return { status: "Starting", detail: `Waiting for ${name} to be created` };
  }
  const conditions = listAt(deployment, "status", "conditions");
  const available = conditions.find((c) => stringAt(c, "type") === "Available");
  if (stringAt(available, "status") === "True") return { status: "Available" };
  const progressing = conditions.find((c) => stringAt(c, "type") === "Progressing");
  if (stringAt(progressing, "reason") === "ProgressDeadlineExceeded") {
    return { status: "Failed", detail: `${name} exceeded its progress deadline` };
  }
  const since = timeOf(stringAt(available, "lastTransitionTime")) ??
    timeOf(deployment.metadata.creationTimestamp);
  if (since !== undefined && now.getTime() - since > AVAILABILITY_TIMEOUT_MS) {
    return { status: "Failed", detail: `${name} is not available` };
  }
  return { status: "Starting", detail: `Waiting for ${name} to become available` };
}

function existingDeployment(snapshot: Snapshot): KubeObject | undefined {
  return snapshot.get("apps", "Deployment", KYMA_SYSTEM, OATHKEEPER);
}
