/**
 * The webhook certificate controller (docs/spec/certificate.md §4, its weak spots fixed), run by the
 * leader. One key; each reconcile reads the Secret and the injection targets uncached, asks
 * `nextCertificateStep()` what to do, does it, and reads again, until nothing is left to do:
 * create a missing Secret, rotate a pair that will not be valid at now + the renewal threshold
 * (new CA injected first, Secret switched after the apiserver had time to see it, old CA trusted
 * for the overlap), re-inject any stale `caBundle`, forget the old CA after the overlap.
 */
import type { KubeObject } from "../../api/meta.ts";
import {
  caCertificates,
  type CertificateStep,
  nextCertificateStep,
} from "../../core/certificate/plan.ts";
import type { KubeClient } from "../../kube/client.ts";
import type { KubeError } from "../../kube/errors.ts";
import { getObject, patchObject } from "../../kube/objects.ts";
import { resourceType } from "../../kube/resources.ts";
import type { Controller, Outcome, ReconcileContext } from "../controller.ts";
import { certificateSecretOf, forgetPreviousPatch, newSecret, rotationPatch } from "./secret.ts";
import { inject, readTargets, type TargetName, type Targets } from "./targets.ts";

export interface CertificateSettings {
  namespace: string;
  secretName: string;
  /** Owner of a Secret the controller creates, when it exists (docs/spec/certificate.md §3). */
  ownerDeployment: string;
  /** Renew when the pair would not be valid this long from now (spec: 14 days). */
  renewBeforeMs: number;
  /** How long the previous CA stays in every `caBundle` after a rotation. */
  overlapMs: number;
  /** Pause between injecting a new CA and switching the Secret, for the apiserver to see it. */
  propagationDelayMs: number;
  /** Re-check period when nothing is due sooner (spec: 1 hour). */
  recheckMs: number;
}

export interface CertificateMaterial {
  /** A fresh CA and serving certificate (`certPem` = leaf + CA). */
  generate(now: Date): Promise<{ certPem: string; keyPem: string }>;
  verify(
    tlsCrt: string,
    tlsKey: string,
    at: Date,
  ): Promise<{ valid: true; notAfter: Date } | { valid: false; reason: string }>;
}

export interface CertificateControllerDeps {
  client: KubeClient;
  settings: CertificateSettings;
  material: CertificateMaterial;
  /** The pair this replica serves, if any: trusted while a deleted Secret is recreated. */
  served: () => { certPem: string } | undefined;
  now: () => Date;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The only key of the certificate controller's queue. */
export function certificateKey(settings: CertificateSettings): string {
  return `${settings.namespace}/${settings.secretName}`;
}

// Each step changes what the next read sees; more than this in one pass means someone else is
// writing too, and the next reconcile (the watch event of that write) takes over.
const MAX_STEPS = 6;
const SECRET = resourceType("", "Secret");
const TARGETS: readonly TargetName[] = ["crd", "mutating", "validating"];
const DEPLOYMENT = resourceType("apps", "Deployment");

/** The certificate controller. */
export function certificateController(deps: CertificateControllerDeps): Controller {
  return {
    name: "certificate",
    reconcile: (_key, context) => reconcileCertificate(deps, context),
  };
}

interface State {
  secret: KubeObject | undefined;
  targets: Targets;
  step: CertificateStep;
  notAfter: Date | undefined;
}

async function reconcileCertificate(
  deps: CertificateControllerDeps,
  context: ReconcileContext,
): Promise<Outcome> {
  const { log, signal } = context;
  for (let steps = 0; steps < MAX_STEPS && !signal.aborted; steps++) {
    const read = await readState(deps, signal);
    if (!read.ok) return retry("Failed to read the webhook certificate state", read.error);
    const { secret, targets, step } = read.value;
    const failed = await carryOut(deps, read.value, context);
    if (failed !== undefined) return failed;
    if (step.kind === "none") {
      if (targets.problems.length > 0) {
        return { kind: "retry", error: new Error(targets.problems.join("; ")) };
      }
      return { kind: "done", recheckAfterMs: recheckAfter(deps, read.value) };
    }
    log.info(stepMessage(step), {
      ...(step.kind === "inject" ? { targets: step.targets } : {}),
      secretFound: secret !== undefined,
    });
  }
  return { kind: "done", recheckAfterMs: 1_000 };
}

async function readState(
  deps: CertificateControllerDeps,
  signal: AbortSignal,
): Promise<{ ok: true; value: State } | { ok: false; error: KubeError }> {
  const { settings } = deps;
  const got = await getObject(deps.client, secretRef(settings), { signal });
  if (!got.ok && got.error.reason !== "NotFound") return got;
  const secret = got.ok ? got.value : undefined;
  const targets = await readTargets(deps.client, signal);
  if (!targets.ok) return targets;
  const content = secret === undefined ? undefined : certificateSecretOf(secret);
  const now = deps.now();
  const verdict = content?.tlsCrt === undefined || content.tlsKey === undefined
    ? undefined
    : await deps.material.verify(
      content.tlsCrt,
      content.tlsKey,
      new Date(now.getTime() + settings.renewBeforeMs),
    );
  const step = nextCertificateStep({
    secret: content,
    valid: verdict?.valid === true,
    injected: targets.value.injected,
    now,
    overlapMs: settings.overlapMs,
  });
  return {
    ok: true,
    value: {
      secret,
      targets: targets.value,
      step,
      notAfter: verdict?.valid === true ? verdict.notAfter : undefined,
    },
  };
}

/** Does one step; returns an outcome only when it failed. */
async function carryOut(
  deps: CertificateControllerDeps,
  state: State,
  context: ReconcileContext,
): Promise<Outcome | undefined> {
  const { client, settings } = deps;
  const { signal } = context;
  const step = state.step;
  switch (step.kind) {
    case "none":
      return undefined;
    case "inject": {
      for (const target of TARGETS.filter((t) => step.targets.includes(t))) {
        const failed = await injectOne(deps, state.targets, target, step.bundle, signal);
        if (failed !== undefined) return failed;
      }
      return undefined;
    }
    case "forget-previous": {
      const patched = await patchObject(
        client,
        secretRef(settings),
        forgetPreviousPatch(state.secret?.metadata.resourceVersion),
        { type: "merge", signal },
      );
      return patched.ok ? undefined : retry("Failed to drop the previous CA", patched.error);
    }
    case "create":
    case "rotate": {
      // A recreated Secret is a rotation too when this replica serves a certificate: the CA of
      // what every replica serves now stays trusted until they have all switched.
      const served = deps.served();
      const currentCa = step.kind === "rotate"
        ? step.currentCa
        : served === undefined
        ? ""
        : caCertificates(served.certPem).join("");
      const now = deps.now();
      const fresh = await deps.material.generate(now);
      const bundle = fresh.certPem + currentCa;
      const targets = TARGETS.filter((t) => t in state.targets.injected);
      for (const target of targets) {
        const failed = await injectOne(deps, state.targets, target, bundle, signal);
        if (failed !== undefined) return failed;
      }
      if (targets.length > 0 && currentCa !== "") {
        await deps.sleep(settings.propagationDelayMs, signal);
      }
      if (signal.aborted) return undefined;
      return await writeSecret(deps, state.secret, fresh, currentCa, context);
    }
  }
}

async function writeSecret(
  deps: CertificateControllerDeps,
  existing: KubeObject | undefined,
  fresh: { certPem: string; keyPem: string },
  previousCa: string,
  { signal }: ReconcileContext,
): Promise<Outcome | undefined> {
  const { client, settings } = deps;
  if (existing !== undefined) {
    const patched = await patchObject(
      client,
      secretRef(settings),
      rotationPatch(existing.metadata.resourceVersion, fresh, previousCa, deps.now()),
      { type: "merge", signal },
    );
    return patched.ok ? undefined : retry("Failed to write the renewed certificate", patched.error);
  }
  const deployment = await getObject(client, {
    type: DEPLOYMENT,
    namespace: settings.namespace,
    name: settings.ownerDeployment,
  }, { signal });
  const owner = deployment.ok && deployment.value.metadata.uid !== undefined
    ? { name: settings.ownerDeployment, uid: deployment.value.metadata.uid }
    : undefined;
  const secret = newSecret({ namespace: settings.namespace, name: settings.secretName }, fresh, {
    owner,
    previousCa,
    now: deps.now(),
  });
  const created = await client.requestObject(
    "POST",
    `/api/v1/namespaces/${encodeURIComponent(settings.namespace)}/secrets`,
    { body: secret, signal },
  );
  return created.ok ? undefined : retry("Failed to create the certificate Secret", created.error);
}

async function injectOne(
  deps: CertificateControllerDeps,
  targets: Targets,
  target: TargetName,
  bundle: string,
  signal: AbortSignal,
): Promise<Outcome | undefined> {
  const injected = await inject(deps.client, target, bundle, {
    webhooks: targets.webhooks[target] ?? [],
    signal,
  });
  return injected.ok
    ? undefined
    : retry(`Failed to inject the CA bundle into ${target}`, injected.error);
}

/** When to look again: the renewal time, the end of the overlap, or the hourly re-check. */
function recheckAfter(deps: CertificateControllerDeps, state: State): number {
  const { settings } = deps;
  const now = deps.now().getTime();
  const due = [now + settings.recheckMs];
  if (state.notAfter !== undefined) due.push(state.notAfter.getTime() - settings.renewBeforeMs);
  const rotatedAt = state.secret === undefined
    ? undefined
    : certificateSecretOf(state.secret).rotatedAt;
  if (rotatedAt !== undefined && !Number.isNaN(Date.parse(rotatedAt))) {
    due.push(Date.parse(rotatedAt) + settings.overlapMs);
  }
  // A little late rather than early: the step is due once the time has passed.
  return Math.max(100, Math.min(...due) - now + 100);
}

function secretRef(settings: CertificateSettings) {
  return { type: SECRET, namespace: settings.namespace, name: settings.secretName };
}

function retry(what: string, error: KubeError): Outcome {
  return { kind: "retry", error: new Error(`${what}: ${error.message}`, { cause: error }) };
}

function stepMessage(step: CertificateStep): string {
  switch (step.kind) {
    case "create":
      return "Created webhook certificate";
    case "rotate":
      return "Renewed webhook certificate";
    case "inject":
      return "Injected CA bundle";
    case "forget-previous":
      return "Dropped previous webhook CA";
    case "none":
      return "Checked webhook certificate";
  }
}
