/**
 * A private Redis Sentinel group for the tests that need one (issue 20): one master, one
 * replica and three sentinels (quorum 2) on free loopback ports, `down-after-milliseconds`
 * 1 s so a killed master is replaced within seconds. Started by the tests themselves.
 */
import { poll } from "../poll.ts";
import { freePort, PortInUseError, retryOnPortInUse } from "../cluster/_ports.ts";
import { stopProcess } from "../cluster/_process.ts";
import { infoField, killNode, redisCli, type RedisNodeProcess, startNode } from "./_node.ts";

export const MASTER_NAME = "apigw";

export interface TestRedisSentinel {
  /** `redis+sentinel://127.0.0.1:<s1>,…/apigw`, without the password. */
  readonly url: string;
  /** The data nodes' ports (master first at start). */
  readonly dataPorts: readonly number[];
  /** The master's port as the sentinels name it now. */
  master(): Promise<number>;
  kill(port: number): Promise<void>;
  cli(port: number, args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export function startRedisSentinel(
  options: { password?: string } = {},
): Promise<TestRedisSentinel> {
  return retryOnPortInUse(() => startOnce(options));
}

async function startOnce(options: { password?: string }): Promise<TestRedisSentinel> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-redis-sentinel-" });
  const { password } = options;
  const nodes: RedisNodeProcess[] = [];
  const stopAll = async () => {
    await Promise.all(nodes.map((node) => stopProcess(node.process, 5_000)));
  };
  try {
    const [masterPort, replicaPort] = [freePort(), freePort()];
    const data = (port: number, extra: string[]) => {
      const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", ""];
      args.push("--appendonly", "no", "--dir", dir, "--dbfilename", `dump-${port}.rdb`);
      args.push("--daemonize", "no", ...extra);
      if (password !== undefined) args.push("--requirepass", password, "--masterauth", password);
      return args;
    };
    nodes.push(
      await startNode(`redis-master-${masterPort}`, masterPort, data(masterPort, []), {
        logPath: `${dir}/redis-${masterPort}.log`,
        password,
      }),
    );
    nodes.push(
      await startNode(
        `redis-replica-${replicaPort}`,
        replicaPort,
        data(replicaPort, ["--replicaof", "127.0.0.1", String(masterPort)]),
        { logPath: `${dir}/redis-${replicaPort}.log`, password },
      ),
    );
    const cli = (port: number, args: string[]) => redisCli(port, args, password);
    await poll(async () => {
      const info = await cli(replicaPort, ["INFO", "replication"]);
      return infoField(info, "master_link_status") === "up" || undefined;
    }, { timeoutMs: 15_000, what: "the replica to sync" });
    const sentinelPorts = [freePort(), freePort(), freePort()];
    for (const port of sentinelPorts) {
      const lines = [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 10000`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
      ];
      if (password !== undefined) lines.push(`sentinel auth-pass ${MASTER_NAME} ${password}`);
      const config = `${dir}/sentinel-${port}.conf`;
      await Deno.writeTextFile(config, lines.join("\n") + "\n");
      nodes.push(
        await startNode(`redis-sentinel-${port}`, port, [config, "--sentinel"], {
          logPath: `${dir}/sentinel-${port}.log`,
        }),
      );
    }
    // Each sentinel knows the other two and the replica, so a failover can reach its quorum.
    await poll(async () => {
      for (const port of sentinelPorts) {
        const sentinels = await redisCli(port, ["SENTINEL", "SENTINELS", MASTER_NAME]);
        const replicas = await redisCli(port, ["SENTINEL", "REPLICAS", MASTER_NAME]);
        if ((sentinels.match(/^runid$/gm) ?? []).length < 2) return undefined;
        if (!replicas.includes(String(replicaPort))) return undefined;
      }
      return true;
    }, { timeoutMs: 30_000, what: "the sentinels to find each other and the replica" });
    return {
      url: `redis+sentinel://${
        sentinelPorts.map((p) => `127.0.0.1:${p}`).join(",")
      }/${MASTER_NAME}`,
      dataPorts: [masterPort, replicaPort],
      async master() {
        for (const port of sentinelPorts) {
          const reply = await redisCli(port, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME]);
          const lines = reply.trim().split("\n");
          if (lines.length === 2) return Number(lines[1]);
        }
        throw new Error("No sentinel names the master");
      },
      async kill(port) {
        const node = nodes.find((n) => n.port === port);
        if (node === undefined) throw new Error(`No Redis node on port ${port}`);
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
