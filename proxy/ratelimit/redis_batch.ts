/**
 * Runs of a multi-key Lua script (issue 20): on a Redis Cluster each run touches the keys of
 * one slot (a script may not cross slots), and the runs bound for one node go as one pipeline,
 * so a batch costs one round trip (and one pending call) per node rather than per slot.
 * Elsewhere every run is one call on the connection, which ioredis auto-pipelines.
 */
import { Cluster } from "ioredis";
import type { RedisClient } from "./redis_client.ts";
import { keySlot } from "./redis_slots.ts";

export interface ScriptRun {
  /** The run's keys all share this one's slot. */
  readonly firstKey: string;
  /** The script command's arguments: key count, keys, then ARGV. */
  readonly args: readonly (string | number)[];
}

export type RunResult = { ok: true; reply: unknown } | { ok: false; error: unknown };

/** Sends `runs` of the script command `name`; one result per run, in order. */
export async function runScripts(
  client: RedisClient,
  name: string,
  runs: readonly ScriptRun[],
): Promise<RunResult[]> {
  const { redis } = client;
  if (!(redis instanceof Cluster)) {
    const command = method(redis, name);
    return await Promise.all(runs.map((run) =>
      client.call(() => command(...run.args)).then(
        (reply): RunResult => ({ ok: true, reply }),
        (error: unknown): RunResult => ({ ok: false, error }),
      )
    ));
  }
  const byNode = new Map<string, number[]>();
  for (const [i, run] of runs.entries()) {
    const slot = keySlot(run.firstKey);
    // Unknown slot map (not connected yet): one pipeline per slot, which ioredis routes.
    const node = redis.slots[slot]?.join(",") ?? `slot ${slot}`;
    const list = byNode.get(node);
    if (list === undefined) byNode.set(node, [i]);
    else list.push(i);
  }
  const results: RunResult[] = new Array(runs.length);
  await Promise.all([...byNode.values()].map(async (indexes) => {
    try {
      const replies = await client.call(() => {
        const pipeline = redis.pipeline();
        const command = method(pipeline, name);
        for (const i of indexes) void command(...runs[i]!.args);
        return pipeline.exec();
      });
      for (const [j, i] of indexes.entries()) {
        const [error, reply] = replies?.[j] ?? [new Error("The pipeline gave no reply"), null];
        results[i] = error === null ? { ok: true, reply } : { ok: false, error };
      }
    } catch (error) {
      for (const i of indexes) results[i] = { ok: false, error };
    }
  }));
  return results;
}

type Command = (...args: (string | number)[]) => Promise<unknown>;

function method(target: object, name: string): Command {
  const command: unknown = Reflect.get(target, name);
  if (typeof command !== "function") {
    throw new TypeError(`ioredis did not define the command "${name}"`);
  }
  return (...args) => Reflect.apply(command, target, args);
}
