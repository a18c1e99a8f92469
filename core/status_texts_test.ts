import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../api/meta.ts";
import { describeV2Failures } from "../api/validation/apirule_v2.ts";
import { describeV1beta1Failures } from "../api/validation/apirule_v1beta1.ts";
import { describeRateLimitFailure } from "../api/validation/ratelimit.ts";
import { describeFailures } from "../controllers/apirule/controller.ts";
import { KubeError } from "../kube/errors.ts";
import { caseFiles, CONFORMANCE_ROOT, RENDER_FOLDERS } from "../tests/conformance/cases.ts";
import { readRenderCase } from "../tests/conformance/render_case.ts";
import * as gateway from "./apigateway/status.ts";
import { OFFLINE_CRDS } from "./installed_crds.ts";
import { PLANNERS } from "./planners.ts";
import { reconcileAll } from "./reconcile_all.ts";
import { STATUS_TEXTS, type StatusKind, statusTextOf, templatePattern } from "./status_texts.ts";

/** The description a planned CR carries (v1beta1 keeps it in `APIRuleStatus.desc`). */
function descriptionOf(cr: KubeObject): string | undefined {
  const status = cr.status as Record<string, unknown> | undefined;
  if (status === undefined) return undefined;
  if (typeof status.description === "string") return status.description;
  const v1beta1 = status.APIRuleStatus as { desc?: unknown } | undefined;
  return typeof v1beta1?.desc === "string" ? v1beta1.desc : undefined;
}

function assertFits(kind: StatusKind, description: string, where: string) {
  const text = statusTextOf(kind, description);
  assert.ok(
    text !== undefined,
    `${where}: ${JSON.stringify(description)} fits no ${kind} template`,
  );
  assert.notEqual(text.template, "<error>", `${where}: only the catch-all fits ${description}`);
}

Deno.test("every status description of the conformance cases fits a template of its kind", () => {
  let checked = 0;
  for (const folder of RENDER_FOLDERS) {
    for (const url of caseFiles(folder)) {
      const c = readRenderCase(url);
      const objects = parseAllDocuments(c.input).map((d) => d.toJS()).filter((o) =>
        o !== null && typeof o === "object"
      ) as KubeObject[];
      const planned = reconcileAll(objects, {
        planners: PLANNERS,
        crds: OFFLINE_CRDS,
        now: new Date("2026-01-01T00:00:00Z"),
      });
      for (const { input, plan } of planned) {
        const description = plan.cr === undefined ? undefined : descriptionOf(plan.cr);
        if (description === undefined || plan.state === "Deleting") continue;
        const where = `${url.pathname.slice(CONFORMANCE_ROOT.pathname.length)} ${input.kind}`;
        assertFits(input.kind as StatusKind, description, where);
        checked++;
      }
    }
  }
  assert.ok(checked >= 40, `checked ${checked} descriptions`);
});

Deno.test("the text builders' outputs fit their templates", () => {
  const failure = (n: number) => ({ attributePath: `.spec.rules[${n}]`, message: `bad ${n}` });
  const many = [0, 1, 2, 3, 4].map(failure);
  assertFits("APIRule", describeV2Failures([failure(0)]), "v2, one failure");
  assertFits("APIRule", describeV2Failures(many), "v2, five failures");
  assertFits("APIRule", describeV1beta1Failures([failure(0)]), "v1beta1, one failure");
  assertFits("APIRule", describeV1beta1Failures(many), "v1beta1, five failures");
  for (const kind of ["VirtualService", "AuthorizationPolicy", "RequestAuthentication", "Rule"]) {
    const object = { apiVersion: "x/v1", kind, metadata: { name: "a" } };
    const text = describeFailures([{
      object,
      action: "apply",
      error: new KubeError("Invalid", "admission webhook denied"),
    }]);
    assertFits("APIRule", text, `${kind} apply failure`);
  }
  assertFits("RateLimit", describeRateLimitFailure(failure(0)), "RateLimit validation");
  const outcomes = [
    gateway.SUCCEEDED,
    gateway.olderCRExists("default"),
    gateway.dependenciesMissing("gateways.networking.istio.io"),
    gateway.deletionBlocked("APIRule", ["a/b"]),
    gateway.deletionBlocked("Rule", ["a/b"]),
    gateway.kymaGatewayDeletionBlocked(["vs"]),
    gateway.kymaGatewayFailed("no address"),
    gateway.oathkeeperFailed("boom"),
    gateway.oathkeeperNotStarted("ory-oathkeeper exceeded its progress deadline"),
    gateway.processing("Waiting for ory-oathkeeper to become available"),
    gateway.processing("Waiting for ory-oathkeeper to be created"),
  ];
  for (const outcome of outcomes) {
    assertFits("APIGateway", outcome.description, outcome.reason);
    const text = statusTextOf("APIGateway", outcome.description)!;
    assert.equal(text.state, outcome.state, outcome.description);
  }
});

Deno.test("templates are distinct and their patterns anchor", () => {
  const keys = STATUS_TEXTS.map((t) => `${t.kind} ${t.template}`);
  assert.equal(new Set(keys).size, keys.length);
  assert.ok(
    templatePattern("failed to validate RateLimit: <message>").test(
      "failed to validate RateLimit: no pods\nfound",
    ),
  );
  assert.ok(!templatePattern("Finished reconciliation").test("Finished reconciliation!"));
});
