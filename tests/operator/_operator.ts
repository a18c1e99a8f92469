/**
 * The operator as the tests run it: a real `apigw operator` process, authenticated with a
 * ServiceAccount token bound to the RBAC that `apigw manifests` ships (not as admin). Its JSON log
 * goes to a file in the run directory; its metrics tell when it is idle.
 */
import { operatorManifests } from "../../cli/manifests.ts";
import { SERVICE_ACCOUNT } from "../../cli/manifests_rbac.ts";
import { kubeRequest, poll, type TestCluster } from "../cluster/mod.ts";
import { isRecord } from "../../kube/object.ts";
import { findResourceType, objectPath } from "../../kube/resources.ts";

const REPO = new URL("../../", import.meta.url);
const NAMESPACE = "kyma-system";
/**
 * The Oathkeeper images the APIGateway controller needs (docs/spec/apigateway.md §14: any non-empty values),
 * as flags: a shell drops environment variables whose names contain a dash, like upstream's.
 */
const IMAGE_ARGS = [
  "--oathkeeper-image=example.invalid/oathkeeper:test",
  "--oathkeeper-maester-image=example.invalid/oathkeeper-maester:test",
  "--busybox-image=example.invalid/busybox:test",
];

export interface LogLine {
  level?: string;
  msg?: string;
  [key: string]: unknown;
}

export interface OperatorProcess {
  readonly pid: number;
  readonly logPath: string;
  readonly metricsUrl: string;
  readonly probesUrl: string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
  /** The JSON log lines written so far. */
  logs(): Promise<LogLine[]>;
  /** The samples of one metric, by label text (`{controller="apirule"}`; `""` without labels). */
  metric(name: string): Promise<Map<string, number>>;
  /**
   * Resolves once no key is ready or being reconciled, twice in a row. Keys waiting for a retry
   * do not count: a CR in Error backs off for up to 1000 s.
   */
  waitIdle(options?: { timeoutMs?: number }): Promise<void>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<number>;
  /** SIGKILL (kill -9), then waits for the exit. */
  kill(): Promise<void>;
}

/**
 * Applies the ServiceAccount and RBAC of `apigw manifests`, waits until the apiserver honours
 * them, keeps them across resets and returns a kubeconfig with the ServiceAccount's token.
 */
export async function operatorAccess(cluster: TestCluster): Promise<string> {
  const rbac = operatorManifests({ image: "apigw:test", replicas: 1 }).filter((o) =>
    o.kind === "ServiceAccount" || String(o.apiVersion).startsWith("rbac.authorization.k8s.io/")
  );
  for (const object of rbac) await applyAsAdmin(cluster, object);
  const { path, token } = await cluster.serviceAccountKubeconfig(NAMESPACE, SERVICE_ACCOUNT);
  // The authorizer reads RBAC from an informer: wait until the token may list APIRules.
  await poll(async () => {
    const response = await kubeRequest(
      { ...cluster, token },
      "GET",
      "/apis/gateway.kyma-project.io/v2alpha1/apirules?limit=1",
    );
    return response.status === 200 ? true : undefined;
  }, { timeoutMs: 15_000, what: "the operator's RBAC to take effect" });
  await cluster.keep();
  return path;
}

/** Server-side applies one object as the harness (field manager apigw-test). */
export async function applyAsAdmin(
  cluster: TestCluster,
  object: Record<string, unknown>,
): Promise<{ status: number; text: string; json: unknown }> {
  const apiVersion = String(object.apiVersion ?? "");
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  const type = findResourceType(group, String(object.kind));
  if (type === undefined) throw new Error(`No resource type for ${apiVersion} ${object.kind}`);
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const path = objectPath(type, {
    namespace: typeof metadata.namespace === "string" ? metadata.namespace : undefined,
    name: String(metadata.name ?? ""),
  }, { version: apiVersion.includes("/") ? apiVersion.split("/")[1]! : apiVersion });
  return await cluster.request(
    "PATCH",
    `${path}?fieldManager=apigw-test&force=true`,
    object,
    "application/apply-patch+yaml",
  );
}

/** Starts `apigw operator` with the kubeconfig and extra arguments; waits until it is ready. */
export async function startOperator(
  cluster: TestCluster,
  kubeconfig: string,
  options: { args?: string[]; name?: string; env?: Record<string, string> } = {},
): Promise<OperatorProcess> {
  const name = options.name ?? "operator";
  const logPath = `${cluster.runDir}/${name}-${crypto.randomUUID().slice(0, 8)}.log`;
  const args = [
    "run",
    "-A",
    "main.ts",
    "operator",
    `--kubeconfig=${kubeconfig}`,
    "--metrics-bind-address=127.0.0.1:0",
    "--health-probe-bind-address=127.0.0.1:0",
    ...IMAGE_ARGS,
    ...(options.args ?? []),
  ];
  // `sh` redirects and then `exec`s Deno, so the PID is the operator's own (for kill -9).
  const child = new Deno.Command("sh", {
    args: ["-c", 'exec "$@" >>"$APIGW_LOG_PATH" 2>&1', "sh", Deno.execPath(), ...args],
    cwd: REPO,
    env: { APIGW_LOG_PATH: logPath, NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const exited = child.status.then((status) => status.code);
  const logs = async (): Promise<LogLine[]> => {
    const text = await Deno.readTextFile(logPath).catch(() => "");
    return text.split("\n").flatMap((line) => {
      if (!line.startsWith("{")) return [];
      try {
        const parsed: unknown = JSON.parse(line);
        return isRecord(parsed) ? [parsed] : [];
      } catch {
        return [];
      }
    });
  };
  let running = true;
  exited.then(() => (running = false));
  const address = (what: string) =>
    poll(async () => {
      if (!running) throw new Error(`The operator exited; see ${logPath}`);
      const line = (await logs()).find((l) => l.msg === `Serving ${what}`);
      return typeof line?.address === "string" ? `http://${line.address}` : undefined;
    }, { timeoutMs: 30_000, what: `the operator to serve ${what} (log: ${logPath})` });
  const metricsUrl = await address("metrics");
  const probesUrl = await address("probes");
  await poll(async () => {
    const response = await fetch(`${probesUrl}/readyz`);
    await response.body?.cancel();
    return response.status === 200 ? true : undefined;
  }, { timeoutMs: 30_000, what: `the operator to become ready (log: ${logPath})` });

  const metric = async (metricName: string) => {
    const response = await fetch(`${metricsUrl}/metrics`);
    const text = await response.text();
    const samples = new Map<string, number>();
    for (const line of text.split("\n")) {
      const match = /^([a-zA-Z_:][\w:]*)(\{.*\})? (\S+)$/.exec(line);
      if (match?.[1] === metricName) samples.set(match[2] ?? "", Number(match[3]));
    }
    return samples;
  };
  const busy = async () => {
    let sum = 0;
    for (const name of ["apigw_workqueue_depth", "apigw_workqueue_busy"]) {
      for (const value of (await metric(name)).values()) sum += value;
    }
    return sum;
  };
  return {
    pid: child.pid,
    logPath,
    metricsUrl,
    probesUrl,
    exited,
    logs,
    metric,
    async waitIdle(waitOptions = {}) {
      let quiet = 0;
      await poll(async () => {
        if (!running) throw new Error(`The operator exited; see ${logPath}`);
        quiet = (await busy()) === 0 ? quiet + 1 : 0;
        return quiet >= 2 ? true : undefined;
      }, {
        timeoutMs: waitOptions.timeoutMs ?? 30_000,
        intervalMs: 50,
        what: "the operator to be idle",
      });
    },
    async stop() {
      if (running) child.kill("SIGTERM");
      return await exited;
    },
    async kill() {
      if (running) child.kill("SIGKILL");
      await exited;
    },
  };
}
