/**
 * Kubernetes I/O for the operator. A request leaves through the client (client.ts), which maps
 * every failure once into a `KubeError` (errors.ts); objects come back as guarded `KubeObject`s.
 * Informers list and watch into stores (informer.ts, store.ts) that also take the answers of
 * apigw's own writes; their events become keys on a work queue (queue.ts) whose workers run one
 * key at a time with backoff. Leader election (leader.ts) and Events (events.ts) sit beside.
 */
export { createKubeClient, type KubeClient } from "./client.ts";
export { type Connection, loadConnection } from "./connection.ts";
export { KubeError, type KubeErrorReason } from "./errors.ts";
export { createEventRecorder, type EventRecorder } from "./events.ts";
export { Informer, type InformerOptions } from "./informer.ts";
export { LeaderElector } from "./leader.ts";
export {
  applyObject,
  deleteObject,
  FIELD_MANAGER,
  getObject,
  listObjects,
  patchObject,
} from "./objects.ts";
export { runWorkers, WorkQueue } from "./queue.ts";
export { findResourceType, type ResourceType, resourceType } from "./resources.ts";
export { ObjectStore, type StoreEvent } from "./store.ts";
