/**
 * The rate limit service's fixed-window counters on Redis (`BucketStore.addHits`, docs/spec/dataplane.md
 * §6.2): `INCRBY` then `EXPIRE` per key, as envoyproxy/ratelimit's pipeline, in one atomic script
 * run. Calls that arrive while earlier runs are in flight share the next run, as the token
 * bucket's checks do (redis_store.ts): a busy service needs far fewer round trips and script
 * calls than decisions, an idle one adds no delay. The hits of one call always go in the same
 * run, so a call's counters move together; on a Redis Cluster a run is split per slot.
 */
import { runScripts } from "./redis_batch.ts";
import type { RedisClient } from "./redis_client.ts";
import { groupBySlot } from "./redis_slots.ts";
import type { WindowHit } from "./store.ts";

/** `INCRBY` then `EXPIRE` per key (envoyproxy/ratelimit's pipeline), in one atomic script run. */
export const ADD_HITS_LUA = `
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('INCRBY', key, ARGV[i * 2 - 1])
  redis.call('EXPIRE', key, ARGV[i * 2])
end
return out
`;

/** Script runs in flight at once; more calls wait for the next run (cf. a pipeline window). */
const MAX_IN_FLIGHT = 2;
/** Keys per run (whole calls; a call with more keys runs alone): bounds one run's time in Redis. */
const MAX_KEYS = 128;

interface PendingCall {
  keys: string[];
  hits: readonly WindowHit[];
  resolve(counts: number[]): void;
  reject(error: unknown): void;
}

/**
 * `addHits` over `client`, whose script command `command` is `ADD_HITS_LUA`: each key's count
 * after its hits, in the order of `hits`. A failed run rejects the calls whose keys it held.
 */
export function createHitCounter(
  client: RedisClient,
  options: { command: string; prefix: string; cluster: boolean },
): (hits: readonly WindowHit[]) => Promise<number[]> {
  let pending: PendingCall[] = [];
  let inFlight = 0;
  return (hits) => {
    if (hits.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const keys = hits.map((hit) => `${options.prefix}:rls:${hit.key}`);
      pending.push({ keys, hits, resolve, reject });
      if (inFlight < MAX_IN_FLIGHT) flush();
    });
  };

  function flush(): void {
    if (pending.length === 0) return;
    let calls = 0;
    let size = 0;
    while (
      calls < pending.length && (calls === 0 || size + pending[calls]!.keys.length <= MAX_KEYS)
    ) {
      size += pending[calls]!.keys.length;
      calls++;
    }
    const batch = pending.slice(0, calls);
    pending = pending.slice(calls);
    const keys = batch.flatMap((call) => call.keys);
    const hits = batch.flatMap((call) => call.hits);
    const groups = options.cluster ? groupBySlot(keys) : [keys.map((_, i) => i)];
    inFlight++;
    runScripts(
      client,
      options.command,
      groups.map((group) => {
        const args: (string | number)[] = [group.length];
        for (const i of group) args.push(keys[i]!);
        for (const i of group) args.push(hits[i]!.hits, hits[i]!.windowSeconds);
        return { firstKey: keys[group[0]!]!, args };
      }),
    ).then((results) => {
      const counts: number[] = new Array(keys.length);
      const errors: unknown[] = new Array(keys.length);
      for (const [g, result] of results.entries()) {
        const group = groups[g]!;
        const error = !result.ok
          ? result.error
          : !Array.isArray(result.reply) || result.reply.length !== group.length
          ? new TypeError(`Unexpected counter reply ${JSON.stringify(result.reply)}`)
          : undefined;
        for (const [j, i] of group.entries()) {
          if (error !== undefined) errors[i] = error;
          else counts[i] = Number((result as { reply: unknown[] }).reply[j]);
        }
      }
      let offset = 0;
      for (const call of batch) {
        const end = offset + call.keys.length;
        const failed = errors.slice(offset, end).find((error) => error !== undefined);
        if (failed !== undefined) call.reject(failed);
        else call.resolve(counts.slice(offset, end));
        offset = end;
      }
    }, (error: unknown) => {
      for (const call of batch) call.reject(error);
    }).finally(() => {
      inFlight--;
      flush();
    });
  }
}
