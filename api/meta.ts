/**
 * Object metadata as apigw reads and writes it. In CRD schemas `metadata` is left to the
 * apiserver (`type: object` only), as Kubernetes requires for custom resources.
 */
import type { Schema } from "./schema/build.ts";

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  // Absent in offline input (render), where no object has been created yet.
  uid?: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** The `metadata` schema of a custom resource: the apiserver validates it, not the CRD. */
export function metadata(): Schema<ObjectMeta> {
  return { type: "object" };
}

/** Any Kubernetes object, as read from YAML or the API before it is parsed further. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}
