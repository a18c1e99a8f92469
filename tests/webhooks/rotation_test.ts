/**
 * Certificate rotation under load: with a lifetime and renewal threshold of seconds, `apigw
 * operator` renews its webhook certificate again and again while a loop lists APIRules through
 * the apiserver in v1beta1 and v2 (each a conversion call) and dry-run creates one through v2
 * (conversion and validating admission). Not one of those requests may fail.
 */
import assert from "node:assert/strict";
import { poll, testCluster, uniqueName } from "../cluster/mod.ts";
import { operatorAccess } from "../operator/_operator.ts";
import {
  admissionNamespace,
  certificateSecret,
  cleanUp,
  crdCaBundle,
  pointWebhooksAt,
  preserveWebhooks,
  servesWith,
  startWebhookOperator,
  waitForConversion,
} from "./_webhooks.ts";

/** Renewal every ~7 s: valid for 24 s, renewed 16 s before the end (certificates backdated 2.4 s). */
const FAST_ROTATION = [
  "--webhook-certificate-lifetime=24s",
  "--webhook-certificate-renew-before=16s",
  "--webhook-ca-overlap=3s",
  "--webhook-ca-propagation-delay=1s",
];
const RENEWALS = 3;

Deno.test("apigw operator renews its webhook certificate without failing a request", async () => {
  const cluster = testCluster();
  const kubeconfig = await operatorAccess(cluster);
  const parts: Parameters<typeof cleanUp>[1] = { webhooks: await preserveWebhooks(cluster) };
  try {
    const operator = await startWebhookOperator(cluster, kubeconfig, { args: FAST_ROTATION });
    parts.operator = operator;
    await pointWebhooksAt(cluster, operator.url);
    const namespace = uniqueName("rotation");
    await admissionNamespace(cluster, namespace);
    await waitForConversion(cluster, namespace);

    const base = `/apis/gateway.kyma-project.io`;
    const rule = (name: string) => ({
      apiVersion: "gateway.kyma-project.io/v2",
      kind: "APIRule",
      metadata: { name, namespace },
      spec: {
        hosts: [`${name}.example.com`],
        gateway: "kyma-system/kyma-gateway",
        service: { name: "httpbin", port: 8000 },
        rules: [{ path: "/a", methods: ["GET"], noAuth: true }],
      },
    });
    const requests: Array<() => Promise<{ status: number; text: string }>> = [
      () => cluster.request("GET", `${base}/v1beta1/namespaces/${namespace}/apirules`),
      () => cluster.request("GET", `${base}/v2/namespaces/${namespace}/apirules`),
      () =>
        cluster.request(
          "POST",
          `${base}/v2/namespaces/${namespace}/apirules?dryRun=All`,
          rule("dry-run"),
        ),
    ];
    const expected = [200, 200, 201];

    const seen = new Set<string>();
    const failures: string[] = [];
    let sent = 0;
    const deadline = Date.now() + 120_000;
    // The apiserver reuses its connections, which keep the certificate of their handshake; this
    // loop makes a fresh handshake each time, trusting what the CRD's caBundle holds just before,
    // as a client that connects anew at any moment of the rotation would.
    let looping = true;
    let handshakes = 0;
    const handshakeFailures: string[] = [];
    const fresh = (async () => {
      while (looping) {
        const bundle = await crdCaBundle(cluster);
        handshakes++;
        if (!await servesWith(operator.url, bundle)) {
          handshakeFailures.push(`untrusted after ${handshakes} handshakes`);
        }
      }
    })();
    while (seen.size <= RENEWALS && Date.now() < deadline) {
      const secret = await certificateSecret(cluster);
      if (secret?.data["tls.crt"] !== undefined) seen.add(secret.data["tls.crt"]);
      const answers = await Promise.all(requests.map((send) => send()));
      answers.forEach((answer, i) => {
        sent++;
        if (answer.status !== expected[i]) {
          failures.push(`${answer.status}: ${answer.text.slice(0, 300)}`);
        }
      });
    }
    looping = false;
    await fresh;
    assert.deepEqual(failures, [], `${failures.length} of ${sent} requests failed`);
    assert.deepEqual(handshakeFailures, [], `of ${handshakes} fresh handshakes`);
    assert.ok(handshakes > 20, `only ${handshakes} fresh handshakes`);
    assert.ok(seen.size > RENEWALS, `renewed ${seen.size - 1} times within the deadline`);

    // The old CA goes one overlap after a switch; on a busy machine the last one may still be
    // pending when the loop ends, so wait for the log line rather than expect it at once.
    for (const msg of ["Renewed webhook certificate", "Dropped previous webhook CA"]) {
      await poll(async () => {
        const logs = await operator.process.logs();
        return logs.some((l) => l.msg === msg) ? true : undefined;
      }, { timeoutMs: 60_000, what: `the operator to log "${msg}"` });
    }
    // Between injection and the switch the bundle leads with the next pair: poll.
    await poll(async () => {
      const current = (await certificateSecret(cluster))?.data["tls.crt"] ?? "";
      return current !== "" && (await crdCaBundle(cluster)).startsWith(current) ? true : undefined;
    }, { timeoutMs: 30_000, what: "the CRD to trust the current CA" });
  } finally {
    await cleanUp(cluster, parts);
  }
});
