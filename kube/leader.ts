/**
 * Leader election on a `coordination.k8s.io` Lease, as client-go's leaderelection does it: a
 * candidate takes the Lease when nobody renewed it for `leaseDurationMs` (measured on its own
 * clock, from when it last saw the record change), the leader renews every `retryPeriodMs` and
 * gives up when it could not renew for `renewDeadlineMs`. On shutdown the leader releases the
 * Lease so that another replica takes over at once.
 * https://kubernetes.io/docs/concepts/architecture/leases/
 */
import type { KubeObject } from "../api/meta.ts";
import type { Logger } from "../lib/log.ts";
import type { KubeClient } from "./client.ts";
import { isRecord } from "./object.ts";
import { collectionPath, objectPath, resourceType } from "./resources.ts";
import { sleep } from "../lib/sleep.ts";

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

interface LeaseRecord {
  holder: string;
  renewTime: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  transitions: number;
}

const LEASE = resourceType("coordination.k8s.io", "Lease");

/** The state a running election shares with the controllers it guards. */
export class LeaderElector {
  readonly #client: KubeClient;
  readonly #options: LeaderElectionOptions;
  readonly #log: Logger;
  #observed: { record: string; at: number } | undefined;
  #renewedAt: number | undefined;
  #leading = false;

  constructor(client: KubeClient, options: LeaderElectionOptions, log: Logger) {
    this.#client = client;
    this.#options = options;
    this.#log = log.child({
      lease: `${options.namespace}/${options.name}`,
      identity: options.identity,
    });
  }

  /**
   * Whether this replica may act as leader right now: it holds the Lease and renewed it less than
   * the renew deadline ago (so it stops before anyone else may take over).
   */
  isLeader(): boolean {
    return this.#leading && this.#renewedAt !== undefined &&
      performance.now() - this.#renewedAt < this.#options.renewDeadlineMs;
  }

  /**
   * Campaigns until leading, then calls `lead` with a signal that aborts when leadership is lost
   * or `signal` aborts. Resolves with "lost" (leadership lost) or "stopped" (shutdown).
   */
  async run(
    signal: AbortSignal,
    lead: (leading: AbortSignal) => Promise<void>,
  ): Promise<"lost" | "stopped"> {
    while (!signal.aborted && !(await this.#tryAcquireOrRenew(signal))) {
      await sleep(this.#options.retryPeriodMs * (1 + Math.random() * 0.2), signal);
    }
    if (signal.aborted) return "stopped";
    this.#leading = true;
    this.#log.info("Acquired leadership");
    const leading = new AbortController();
    const stop = () => leading.abort(new Error("Leadership ended"));
    signal.addEventListener("abort", stop);
    const work = lead(leading.signal);
    let lost = false;
    while (!signal.aborted) {
      await sleep(this.#options.retryPeriodMs, signal);
      if (signal.aborted) break;
      if (await this.#tryAcquireOrRenew(signal)) continue;
      if (!this.isLeader()) {
        lost = true;
        break;
      }
    }
    this.#leading = false;
    signal.removeEventListener("abort", stop);
    stop();
    await work;
    if (lost) {
      this.#log.error("Lost leadership");
      return "lost";
    }
    await this.#release();
    this.#log.info("Released leadership");
    return "stopped";
  }

  async #tryAcquireOrRenew(outer: AbortSignal): Promise<boolean> {
    // One attempt may not outlast the renew deadline, or a hung apiserver would hide the loss.
    const signal = AbortSignal.any([outer, AbortSignal.timeout(this.#options.renewDeadlineMs)]);
    const path = objectPath(LEASE, {
      namespace: this.#options.namespace,
      name: this.#options.name,
    });
    const now = microTime(new Date());
    const current = await this.#client.requestObject("GET", path, { signal });
    if (!current.ok) {
      if (current.error.reason !== "NotFound") {
        this.#log.debug("Failed to read Lease", { error: current.error.message });
        return false;
      }
      const created = await this.#client.request(
        "POST",
        collectionPath(LEASE, { namespace: this.#options.namespace }),
        {
          body: this.#lease(undefined, {
            holder: this.#options.identity,
            acquireTime: now,
            renewTime: now,
            transitions: 0,
          }),
          signal,
        },
      );
      return this.#succeeded(created.ok);
    }
    const record = readRecord(current.value);
    const seen = JSON.stringify(record);
    if (this.#observed?.record !== seen) this.#observed = { record: seen, at: performance.now() };
    const mine = record.holder === this.#options.identity;
    const expired = record.holder === "" ||
      performance.now() - this.#observed.at > record.leaseDurationSeconds * 1000;
    if (!mine && !expired) return this.#succeeded(false);
    const next = mine ? { ...record, renewTime: now } : {
      holder: this.#options.identity,
      acquireTime: now,
      renewTime: now,
      transitions: record.transitions + 1,
    };
    // The resourceVersion makes the update conditional: of two racing candidates one wins.
    const updated = await this.#client.request("PUT", path, {
      body: this.#lease(current.value, next),
      signal,
    });
    return this.#succeeded(updated.ok);
  }

  #succeeded(ok: boolean): boolean {
    if (ok) this.#renewedAt = performance.now();
    return ok;
  }

  async #release(): Promise<void> {
    const path = objectPath(LEASE, {
      namespace: this.#options.namespace,
      name: this.#options.name,
    });
    const current = await this.#client.requestObject("GET", path);
    if (!current.ok || readRecord(current.value).holder !== this.#options.identity) return;
    const now = microTime(new Date());
    await this.#client.request("PUT", path, {
      body: this.#lease(current.value, {
        holder: "",
        acquireTime: now,
        renewTime: now,
        transitions: readRecord(current.value).transitions,
      }, 1),
    });
  }

  #lease(
    current: KubeObject | undefined,
    record: { holder: string; acquireTime: string; renewTime: string; transitions: number },
    durationSeconds = Math.ceil(this.#options.leaseDurationMs / 1000),
  ): KubeObject {
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: this.#options.name,
        namespace: this.#options.namespace,
        ...(current?.metadata.resourceVersion === undefined
          ? {}
          : { resourceVersion: current.metadata.resourceVersion }),
      },
      spec: {
        holderIdentity: record.holder,
        leaseDurationSeconds: durationSeconds,
        acquireTime: record.acquireTime,
        renewTime: record.renewTime,
        leaseTransitions: record.transitions,
      },
    };
  }
}

function readRecord(lease: KubeObject): LeaseRecord {
  const spec = isRecord(lease.spec) ? lease.spec : {};
  return {
    holder: typeof spec.holderIdentity === "string" ? spec.holderIdentity : "",
    renewTime: typeof spec.renewTime === "string" ? spec.renewTime : "",
    acquireTime: typeof spec.acquireTime === "string" ? spec.acquireTime : "",
    leaseDurationSeconds: typeof spec.leaseDurationSeconds === "number"
      ? spec.leaseDurationSeconds
      : 0,
    transitions: typeof spec.leaseTransitions === "number" ? spec.leaseTransitions : 0,
  };
}

/** RFC 3339 with microseconds, as `metav1.MicroTime` serializes. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
