/**
 * Every replica serves the current certificate, whether or not it runs the certificate
 * controller, and is not ready before it has one: replica B (no certificate controller) starts
 * while no Secret exists and answers `/readyz` 503 after its caches synced; replica A (the
 * certificate controller) creates the Secret, and B loads it and turns ready; after the Secret is
 * deleted and recreated by A, B serves the new certificate without a restart.
 */
import assert from "node:assert/strict";
import { poll, testCluster } from "../cluster/mod.ts";
import { operatorAccess } from "../operator/_operator.ts";
import {
  certificateSecret,
  cleanUp,
  pointWebhooksAt,
  preserveWebhooks,
  SECRET_PATH,
  servesWith,
  startWebhookOperator,
} from "./_webhooks.ts";
import { isRecord } from "../../kube/object.ts";

Deno.test("every replica loads the certificate Secret and is ready only once it serves one", async () => {
  const cluster = testCluster();
  const kubeconfig = await operatorAccess(cluster);
  await cluster.request("DELETE", SECRET_PATH);
  const parts: Parameters<typeof cleanUp>[1] = { webhooks: await preserveWebhooks(cluster) };
  let replicaB: Replica | undefined;
  try {
    replicaB = spawnReplica(cluster.runDir, kubeconfig, ["--controllers=apirule"]);
    const b = replicaB;
    const probes = await poll(async () => {
      const lines = await b.logLines();
      const synced = lines.some((l) => l.msg === "Synced caches");
      const serving = lines.find((l) => l.msg === "Serving probes")?.address;
      return synced && typeof serving === "string" ? `http://${serving}` : undefined;
    }, { timeoutMs: 60_000, what: `replica B to sync its caches (log: ${b.logPath})` });
    assert.equal(await readyz(probes), 503, "not ready without a certificate");

    const replicaA = await startWebhookOperator(cluster, kubeconfig, {
      args: ["--controllers=certificate"],
    });
    parts.operator = replicaA;
    await pointWebhooksAt(cluster, replicaA.url);
    await poll(async () => (await readyz(probes)) === 200 || undefined, {
      timeoutMs: 60_000,
      what: "replica B to become ready",
    });
    const webhookAddress = (await b.logLines()).find((l) => l.msg === "Serving webhooks")?.address;
    const bUrl = `https://${webhookAddress}`;
    const first = (await certificateSecret(cluster))?.data["tls.crt"] ?? "";
    assert.ok(await servesWith(bUrl, first), "B serves the certificate A made");

    const deleted = await cluster.request("DELETE", SECRET_PATH);
    assert.equal(deleted.status, 200, deleted.text);
    const second = await poll(async () => {
      const crt = (await certificateSecret(cluster))?.data["tls.crt"];
      return crt !== undefined && crt !== first ? crt : undefined;
    }, { timeoutMs: 60_000, what: "A to recreate the Secret" });
    await poll(async () => (await servesWith(bUrl, second)) || undefined, {
      timeoutMs: 30_000,
      what: "B to serve the recreated certificate",
    });
    assert.ok(
      !(await b.logLines()).some((l) => l.controller === "certificate"),
      "B ran no certificate controller",
    );
  } finally {
    await replicaB?.stop();
    await cleanUp(cluster, parts);
  }
});

interface Replica {
  logPath: string;
  logLines(): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
}

/** An `apigw operator` replica that is not waited for (startOperator waits until it is ready). */
function spawnReplica(runDir: string, kubeconfig: string, args: string[]): Replica {
  const logPath = `${runDir}/replica-b-${crypto.randomUUID().slice(0, 8)}.log`;
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      'exec "$@" >>"$APIGW_LOG_PATH" 2>&1',
      "sh",
      Deno.execPath(),
      "run",
      "-A",
      "main.ts",
      "operator",
      `--kubeconfig=${kubeconfig}`,
      "--metrics-bind-address=0",
      "--health-probe-bind-address=127.0.0.1:0",
      "--webhook-listen=127.0.0.1:0",
      "--webhook-certificate-extra-sans=127.0.0.1",
      "--webhook-certificate-key=ecdsa-p256",
      ...args,
    ],
    cwd: new URL("../../", import.meta.url),
    env: { APIGW_LOG_PATH: logPath, NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let running = true;
  const exited = child.status.then(() => void (running = false));
  return {
    logPath,
    async logLines() {
      const text = await Deno.readTextFile(logPath).catch(() => "");
      return text.split("\n").flatMap((line) => {
        try {
          const parsed: unknown = JSON.parse(line);
          return isRecord(parsed) ? [parsed] : [];
        } catch {
          return [];
        }
      });
    },
    async stop() {
      if (running) child.kill("SIGTERM");
      await exited;
    },
  };
}

async function readyz(probes: string): Promise<number> {
  const response = await fetch(`${probes}/readyz`);
  await response.body?.cancel();
  return response.status;
}
