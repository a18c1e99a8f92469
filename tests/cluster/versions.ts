/** Versions of the test control plane, in one place: the build, its cache key and checks read them. */

/** Kubernetes release built from `k8s.io/kubernetes` (tools/kube-apiserver/go.mod). */
export const K8S_VERSION = "v1.36.3";

/** Version every `k8s.io/*` staging module is replaced with (tools/kube-apiserver/go.mod). */
export const STAGING_VERSION = "v0.36.3";

/** etcd server built from `go.etcd.io/etcd/server/v3` (tools/etcd/go.mod). */
export const ETCD_VERSION = "v3.6.16";
