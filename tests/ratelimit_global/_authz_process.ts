/**
 * `apigw authz` as a real child process (`deno run main.ts authz`), for the acceptance tests of
 * global rate limits: two processes must share one Redis the way two replicas do.
 */
import { stringify } from "yaml";
import { poll } from "../poll.ts";
import { collectJsonLines } from "../json_log.ts";

const REPO = new URL("../../", import.meta.url);

export interface AuthzProcess extends AsyncDisposable {
  checkUrl: string;
  managementUrl: string;
  logs: Record<string, unknown>[];
  metrics(): Promise<string>;
}

/** Writes `objects` to a fresh folder; removed when disposed. */
export async function configFolder(
  objects: unknown[],
): Promise<AsyncDisposable & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-rl-" });
  await Deno.writeTextFile(`${dir}/objects.yaml`, objects.map((o) => stringify(o)).join("---\n"));
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/**
 * Starts `apigw authz --config dir …args` on free ports (with `env` added to the environment)
 * and waits until it serves.
 */
export async function startAuthzProcess(
  dir: string,
  args: string[],
  options: { env?: Record<string, string> } = {},
): Promise<AuthzProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "main.ts",
      "authz",
      "--config",
      dir,
      "--listen",
      "127.0.0.1:0",
      "--management-listen",
      "127.0.0.1:0",
      ...args,
    ],
    cwd: REPO,
    ...(options.env !== undefined ? { env: options.env } : {}),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const logs: Record<string, unknown>[] = [];
  const reading = collectJsonLines(child.stderr, logs);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
    await reading;
  };
  try {
    const serving = await poll(() => logs.find((l) => l.msg === "Serving ext_authz"), {
      timeoutMs: 60_000,
      what: "apigw authz to listen",
      intervalMs: 50,
    });
    const managementUrl = `http://${serving.management}`;
    // Serving starts before the first snapshot is applied: wait until the rules (and with them
    // the limits) are loaded, or an early check finds no limit for its peer.
    await poll(async () => {
      const response = await fetch(`${managementUrl}/readyz`);
      await response.body?.cancel();
      return response.ok || undefined;
    }, { timeoutMs: 30_000, what: "apigw authz to be ready", intervalMs: 50 });
    return {
      checkUrl: `http://${serving.listen}`,
      managementUrl,
      logs,
      metrics: () => fetch(`${managementUrl}/metrics`).then((r) => r.text()),
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`apigw authz did not start: ${JSON.stringify(logs.slice(-5))}`, {
      cause: error,
    });
  }
}

/** Sends a check for `orders.local.kyma.dev` and returns its status. */
export async function check(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const response = await fetch(`${base}${path}`, {
    headers: { host: "orders.local.kyma.dev", ...headers },
  });
  await response.body?.cancel();
  return response.status;
}

/** Values of one metric family's samples whose labels contain `match`, summed. */
export function metricSum(text: string, name: string, match: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) && line.includes(match)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

/** `stringify` re-exported for the tests' fixtures. */
export { stringify };
