/**
 * Conversion and admission through the real apiserver, served by `apigw operator` with the
 * certificate its controller makes: the conversion cases and the mixed list in every version,
 * admission of valid and invalid APIRules and RateLimits, a deleted Secret recreated, and a
 * restart that keeps the existing Secret.
 */
import assert from "node:assert/strict";
import { testCluster, uniqueName } from "../cluster/mod.ts";
import { poll } from "../poll.ts";
import { operatorAccess } from "../operator/_operator.ts";
import { checkConversionCases, checkMixedList } from "../api/_conversion_checks.ts";
import {
  admissionNamespace,
  certificateSecret,
  cleanUp,
  crdCaBundle,
  pointWebhooksAt,
  preserveWebhooks,
  SECRET_PATH,
  servesWith,
  startWebhookOperator,
  switchConversion,
  waitForConversion,
  type WebhookOperator,
} from "./_webhooks.ts";
import { ADMISSION_CASES } from "./_admission_cases.ts";

Deno.test("apigw operator serves conversion and admission with the certificate it manages", async (t) => {
  const cluster = testCluster();
  const kubeconfig = await operatorAccess(cluster);
  const parts: Parameters<typeof cleanUp>[1] = { webhooks: await preserveWebhooks(cluster) };
  try {
    // The certificate controller only: the APIRule controller would write its own status over
    // the statuses the conversion cases check.
    const args = ["--controllers=certificate"];
    let operator: WebhookOperator = await startWebhookOperator(cluster, kubeconfig, { args });
    parts.operator = operator;
    await pointWebhooksAt(cluster, operator.url);
    const probes = uniqueName("webhook-probe");
    await cluster.ensureNamespace(probes);
    await waitForConversion(cluster, probes);

    await t.step("the controller made the Secret and injected its bundle", async () => {
      const secret = await certificateSecret(cluster);
      assert.ok(secret !== undefined, "the Secret exists");
      const tlsCrt = secret.data["tls.crt"] ?? "";
      assert.equal((tlsCrt.match(/BEGIN CERTIFICATE/g) ?? []).length, 2, "leaf + CA");
      assert.equal(await crdCaBundle(cluster), tlsCrt);
      assert.ok(await servesWith(operator.url, tlsCrt));
    });

    await t.step("conversion cases read back as `convert` gives them", async (t) => {
      await checkConversionCases(t, cluster);
    });

    await t.step("100 APIRules in mixed versions list back in every version", async () => {
      await checkMixedList(cluster);
    });

    await t.step("admission refuses each invalid object with its field path", async (t) => {
      const namespace = uniqueName("admission");
      await admissionNamespace(cluster, namespace);
      await waitForAdmission(cluster, namespace);
      for (const tc of ADMISSION_CASES) {
        await t.step(tc.name, async () => {
          const object = tc.object(namespace);
          const response = await cluster.request("POST", collection(object, namespace), object);
          if (tc.fragments === undefined) {
            assert.equal(response.status, 201, response.text);
            return;
          }
          assert.ok(response.status >= 400 && response.status < 500, response.text);
          for (const fragment of tc.fragments) {
            assert.ok(response.text.includes(fragment), `"${fragment}" in ${response.text}`);
          }
        });
      }
      await t.step("a v2alpha1 create gets its original-version", async () => {
        const read = await cluster.request(
          "GET",
          `/apis/gateway.kyma-project.io/v2alpha1/namespaces/${namespace}/apirules/valid-v2alpha1`,
        );
        const annotations = (read.json as { metadata?: { annotations?: Record<string, string> } })
          .metadata?.annotations ?? {};
        assert.equal(annotations["gateway.kyma-project.io/original-version"], "v2alpha1");
      });
    });

    await t.step(
      "the operator's /metrics times each review in sub-millisecond buckets",
      async () => {
        const counts = await operator.process.metric(
          "apigw_webhook_request_duration_seconds_count",
        );
        const count = (labels: string) => counts.get(labels) ?? 0;
        assert.ok(count('{webhook="conversion",code="200"}') >= 1, JSON.stringify([...counts]));
        assert.ok(count('{webhook="validate-apirule",code="200"}') >= 1);
        assert.ok(count('{webhook="mutate-apirule",code="200"}') >= 1);
        const buckets = await operator.process.metric(
          "apigw_webhook_compute_duration_seconds_bucket",
        );
        const fine = buckets.get('{webhook="conversion",le="0.001"}') ?? 0;
        const all = buckets.get('{webhook="conversion",le="+Inf"}') ?? 0;
        assert.ok(all >= 1 && fine > 0, `conversion CPU ≤ 1 ms in ${fine} of ${all} reviews`);
      },
    );

    await t.step("a deleted Secret is recreated and conversion recovers", async () => {
      const before = await certificateSecret(cluster);
      assert.ok(before !== undefined);
      const deleted = await cluster.request("DELETE", SECRET_PATH);
      assert.equal(deleted.status, 200, deleted.text);
      const after = await poll(async () => {
        const secret = await certificateSecret(cluster);
        return secret !== undefined && secret.uid !== before.uid ? secret : undefined;
      }, { timeoutMs: 60_000, what: "the Secret to be recreated" });
      const tlsCrt = after.data["tls.crt"] ?? "";
      assert.notEqual(tlsCrt, before.data["tls.crt"]);
      await poll(async () => (await servesWith(operator.url, tlsCrt)) || undefined, {
        timeoutMs: 30_000,
        what: "the operator to serve the recreated certificate",
      });
      await poll(async () => (await crdCaBundle(cluster)).startsWith(tlsCrt) || undefined, {
        timeoutMs: 30_000,
        what: "the new CA in the CRD's caBundle",
      });
      await readsAsV1beta1(cluster, probes);
    });

    await t.step("a restart with a valid Secret reuses it", async () => {
      const before = await certificateSecret(cluster);
      assert.ok(before !== undefined);
      await operator.process.stop();
      operator = await startWebhookOperator(cluster, kubeconfig, { args });
      parts.operator = operator;
      await switchConversion(cluster, `${operator.url}/convert`);
      const tlsCrt = before.data["tls.crt"] ?? "";
      assert.ok(await servesWith(operator.url, tlsCrt), "serves the existing certificate");
      await readsAsV1beta1(cluster, probes);
      const after = await certificateSecret(cluster);
      assert.equal(after?.uid, before.uid);
      assert.equal(after?.data["tls.crt"], tlsCrt);
    });
  } finally {
    await cleanUp(cluster, parts);
  }
});

function collection(object: { apiVersion: string; kind: string }, namespace: string): string {
  const plural = object.kind === "RateLimit" ? "ratelimits" : "apirules";
  return `/apis/${object.apiVersion}/namespaces/${namespace}/${plural}`;
}

/** Polls until a dry-run create of an invalid APIRule is refused by apigw's webhook. */
async function waitForAdmission(
  cluster: ReturnType<typeof testCluster>,
  namespace: string,
): Promise<void> {
  const invalid = ADMISSION_CASES.find((c) => c.fragments !== undefined && c.byWebhook);
  if (invalid === undefined) throw new Error("No webhook case");
  const object = invalid.object(namespace);
  await poll(async () => {
    const response = await cluster.request(
      "POST",
      `${collection(object, namespace)}?dryRun=All`,
      object,
    );
    return response.text.includes("denied the request") ? true : undefined;
  }, { timeoutMs: 60_000, intervalMs: 250, what: "the admission webhook to answer" });
}

async function readsAsV1beta1(
  cluster: ReturnType<typeof testCluster>,
  namespace: string,
): Promise<void> {
  await poll(async () => {
    const read = await cluster.request(
      "GET",
      `/apis/gateway.kyma-project.io/v1beta1/namespaces/${namespace}/apirules`,
    );
    return read.status === 200 ? true : undefined;
  }, { timeoutMs: 60_000, intervalMs: 250, what: "conversion to work" });
}
