/**
 * Kubernetes Events on apigw's CRs (`kubectl describe` shows them). A repeated event (same
 * object, reason and message within ten minutes) is not sent again, so a CR stuck in a retry loop
 * does not flood the apiserver. Failures to record are logged at debug and otherwise ignored:
 * an event is a courtesy, never a reason to fail a reconcile.
 */
import type { KubeObject } from "../api/meta.ts";
import type { Logger } from "../lib/log.ts";
import type { KubeClient } from "./client.ts";
import { collectionPath, resourceType } from "./resources.ts";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  /** Records an event about `object` (fire and forget). */
  record(object: KubeObject, type: EventType, reason: string, message: string): void;
}

const EVENT = resourceType("", "Event");
const REPEAT_WINDOW_MS = 10 * 60_000;
/** Events of cluster-scoped objects go to `default`, as kubectl and client-go put them. */
const CLUSTER_EVENTS_NAMESPACE = "default";

/** A recorder that posts `core/v1` Events as `component`. */
export function createEventRecorder(
  client: KubeClient,
  options: { component: string; host: string; log: Logger },
): EventRecorder {
  const recent = new Map<string, number>();
  return {
    record(object, type, reason, message) {
      const uid = object.metadata.uid ?? "";
      const key = `${uid}\u0000${reason}\u0000${message}`;
      const now = Date.now();
      const last = recent.get(key);
      if (last !== undefined && now - last < REPEAT_WINDOW_MS) return;
      if (recent.size > 10_000) {
        for (const [k, at] of recent) if (now - at >= REPEAT_WINDOW_MS) recent.delete(k);
      }
      recent.set(key, now);
      const namespace = object.metadata.namespace || CLUSTER_EVENTS_NAMESPACE;
      const time = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
      const event = {
        apiVersion: "v1",
        kind: "Event",
        metadata: {
          name: `${object.metadata.name ?? "unknown"}.${now.toString(16)}${
            crypto.randomUUID().slice(0, 4)
          }`,
          namespace,
        },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata.name,
          ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
          ...(uid ? { uid } : {}),
          ...(object.metadata.resourceVersion
            ? { resourceVersion: object.metadata.resourceVersion }
            : {}),
        },
        type,
        reason,
        // The API caps messages at 1 KiB.
        message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
        source: { component: options.component, host: options.host },
        reportingComponent: options.component,
        reportingInstance: options.host,
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
      };
      client.request("POST", collectionPath(EVENT, { namespace }), { body: event }).then(
        (result) => {
          if (!result.ok) {
            options.log.debug("Failed to record Event", { reason, error: result.error.message });
          }
        },
      );
    },
  };
}
