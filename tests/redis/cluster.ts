/**
 * A private Redis Cluster for the tests that need one (issue 20): 3 masters and 3 replicas of
 * Debian's redis-server on free loopback ports, joined by `redis-cli --cluster create`, with a
 * short `cluster-node-timeout` so a killed master is replaced within seconds. Started by the
 * tests themselves, not by tests/run.ts.
 */
import { poll } from "../poll.ts";
import { freePort, PortInUseError, retryOnPortInUse } from "../cluster/_ports.ts";
import { stopProcess } from "../cluster/_process.ts";
import { infoField, killNode, redisCli, type RedisNodeProcess, startNode } from "./_node.ts";

export interface TestRedisCluster {
  /** `redis+cluster://127.0.0.1:<port>,…` (all six nodes as seeds), without the password. */
  readonly url: string;
  readonly ports: readonly number[];
  /** Ports of the nodes that are masters now, as a live node sees it. */
  masters(): Promise<number[]>;
  /** The port of the master serving `slot`. */
  masterOf(slot: number): Promise<number>;
  /** SIGKILLs the node on `port`. */
  kill(port: number): Promise<void>;
  /** `redis-cli` against the node on `port`. */
  cli(port: number, args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Node timeout: a master silent this long is failed over (the issue asks for ~1–2 s). */
const NODE_TIMEOUT_MS = 1_000;

export function startRedisCluster(
  options: { password?: string } = {},
): Promise<TestRedisCluster> {
  return retryOnPortInUse(() => startOnce(options));
}

async function startOnce(options: { password?: string }): Promise<TestRedisCluster> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-redis-cluster-" });
  const { password } = options;
  const nodes: RedisNodeProcess[] = [];
  const stopAll = async () => {
    await Promise.all(nodes.map((node) => stopProcess(node.process, 5_000)));
  };
  try {
    const ports = clusterPorts(6);
    for (const port of ports) {
      const args = [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        `${dir}/nodes-${port}.conf`,
        "--cluster-node-timeout",
        String(NODE_TIMEOUT_MS),
        // A replica takes over however long it was cut off: the test kills masters on purpose.
        "--cluster-replica-validity-factor",
        "0",
        // Slots of live masters keep serving while a dead master's slots fail over.
        "--cluster-require-full-coverage",
        "no",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--dbfilename",
        `dump-${port}.rdb`,
        "--daemonize",
        "no",
      ];
      if (password !== undefined) args.push("--requirepass", password, "--masterauth", password);
      nodes.push(
        await startNode(`redis-cluster-${port}`, port, args, {
          logPath: `${dir}/redis-${port}.log`,
          password,
        }),
      );
    }
    const auth = password === undefined ? [] : ["--no-auth-warning", "-a", password];
    const create = await new Deno.Command("redis-cli", {
      args: [
        ...auth,
        "--cluster",
        "create",
        ...ports.map((p) => `127.0.0.1:${p}`),
        "--cluster-replicas",
        "1",
        "--cluster-yes",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!create.success) {
      const text = new TextDecoder().decode(create.stdout) +
        new TextDecoder().decode(create.stderr);
      throw new Error(`redis-cli --cluster create failed:\n${text}`);
    }
    const cli = (port: number, args: string[]) => redisCli(port, args, password);
    // Every node agrees the cluster is up, and every replica is in sync with its master.
    await poll(async () => {
      for (const port of ports) {
        const info = await cli(port, ["CLUSTER", "INFO"]);
        if (infoField(info, "cluster_state") !== "ok") return undefined;
        if (infoField(info, "cluster_known_nodes") !== "6") return undefined;
        const replication = await cli(port, ["INFO", "replication"]);
        const role = infoField(replication, "role");
        if (role === "slave" && infoField(replication, "master_link_status") !== "up") {
          return undefined;
        }
      }
      return true;
    }, { timeoutMs: 30_000, what: "the Redis Cluster to be ready" });
    const live = () => nodes.filter((n) => n.process.exitCode() === undefined);
    const clusterNodes = async () => {
      for (const node of live()) {
        const text = await cli(node.port, ["CLUSTER", "NODES"]);
        if (text.trim() !== "") return text;
      }
      throw new Error("No live node of the Redis Cluster answers");
    };
    return {
      url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(",")}`,
      ports,
      async masters() {
        return parseNodes(await clusterNodes())
          .filter((n) => n.master && !n.failed)
          .map((n) => n.port);
      },
      async masterOf(slot) {
        const owner = parseNodes(await clusterNodes()).find((n) =>
          n.master && !n.failed && n.slots.some(([from, to]) => slot >= from && slot <= to)
        );
        if (owner === undefined) throw new Error(`No master serves slot ${slot}`);
        return owner.port;
      },
      async kill(port) {
        const node = nodes.find((n) => n.port === port);
        if (node === undefined) throw new Error(`No cluster node on port ${port}`);
        await killNode(node);
      },
      cli,
      async stop() {
        await stopAll();
        await Deno.remove(dir, { recursive: true });
      },
    };
  } catch (error) {
    await stopAll();
    // A lost port race is retried with new ports; anything else is kept to look at.
    if (error instanceof PortInUseError) await Deno.remove(dir, { recursive: true });
    else console.error(`Kept ${dir} for inspection`);
    throw error;
  }
}

/**
 * `count` ports that are free together with their cluster bus ports (port + 10000, which must
 * stay below 65536), none overlapping another's.
 */
function clusterPorts(count: number): number[] {
  const taken = new Set<number>();
  const ports: number[] = [];
  while (ports.length < count) {
    const port = freePort();
    const bus = port + 10_000;
    if (bus > 65_535 || taken.has(port) || taken.has(bus) || !isFree(bus)) continue;
    taken.add(port).add(bus);
    ports.push(port);
  }
  return ports;
}

function isFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

interface ClusterNode {
  port: number;
  master: boolean;
  failed: boolean;
  slots: [number, number][];
}

/** `CLUSTER NODES`: `id host:port@cport flags master ping pong epoch state slots…` per line. */
function parseNodes(text: string): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (const line of text.trim().split("\n")) {
    const fields = line.trim().split(" ");
    const address = fields[1] ?? "";
    const port = Number(address.slice(address.lastIndexOf(":") + 1).split("@")[0]);
    const flags = (fields[2] ?? "").split(",");
    const slots: [number, number][] = [];
    for (const range of fields.slice(8)) {
      if (range.startsWith("[")) continue;
      const [from, to = from] = range.split("-");
      slots.push([Number(from), Number(to)]);
    }
    nodes.push({
      port,
      master: flags.includes("master"),
      failed: flags.includes("fail") || flags.includes("fail?"),
      slots,
    });
  }
  return nodes;
}
