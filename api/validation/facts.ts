/**
 * The cluster objects a validation check may need, as plain data. The operator and `render`
 * fill them from their cluster snapshot (`complete: true`); `validate` fills them from whatever
 * its input files hold. An absent field means "unknown": the checks that need it are skipped
 * and report a note instead of a failure.
 */

/** A core `Service`: where it is and which Pods it selects. */
export interface ServiceFact {
  namespace: string;
  name: string;
  /** `spec.selector`; empty when the Service selects nothing. */
  selector: Readonly<Record<string, string>>;
}

/** A core `Pod`: its labels and annotations, and the names of its containers. */
export interface PodFact {
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  containers: readonly string[];
  initContainers: readonly string[];
}

/** One `spec.servers[]` entry of an Istio Gateway. */
export interface GatewayServerFact {
  hosts: readonly string[];
  /** `port.protocol`, as written (`HTTPS`, `HTTP`, …). */
  protocol?: string;
}

/** An Istio `Gateway`. */
export interface GatewayFact {
  namespace: string;
  name: string;
  servers: readonly GatewayServerFact[];
}

/** Any namespaced object by name (ExternalGateways). */
export interface ObjectRefFact {
  namespace: string;
  name: string;
}

/** An Istio `VirtualService`: the hosts it serves and the labels that tell its owner. */
export interface VirtualServiceFact {
  namespace: string;
  name: string;
  hosts: readonly string[];
  labels: Readonly<Record<string, string>>;
}

/** An `APIGateway` CR: the singleton check orders them by age. */
export interface APIGatewayFact {
  name: string;
  /** RFC 3339; absent for an object not created yet (it counts as the newest). */
  creationTimestamp?: string;
}

/** A `RateLimit` CR: the conflict check compares the Pods each one selects. */
export interface RateLimitFact {
  namespace: string;
  name: string;
  selectorLabels: Readonly<Record<string, string>>;
}

/**
 * Lookups a complete snapshot answers without reading every object (operator, `render`): each
 * returns what the matching scan of a complete list would, in list order. Where it is set, the
 * checks read Services, Pods and VirtualServices only through it, and those lists may be absent.
 */
export interface FactsIndex {
  /** The Service `namespace/name`. */
  service(namespace: string, name: string): ServiceFact | undefined;
  /** The Pods of a namespace. */
  podsIn(namespace: string): readonly PodFact[];
  /** The VirtualServices whose `hosts` include `host`. */
  virtualServicesWithHost(host: string): readonly VirtualServiceFact[];
}

/** Everything the checks may read besides the object under test. */
export interface ValidationFacts {
  /**
   * True when the lists hold every such object of the cluster, so an object they lack does not
   * exist (operator, `render`). Otherwise they hold what the input happened to contain, and a
   * namespace counts as known for a kind only when the list has an object of that kind in it.
   */
  complete?: boolean;
  services?: readonly ServiceFact[];
  pods?: readonly PodFact[];
  gateways?: readonly GatewayFact[];
  /** Read once ExternalGateway is supported; until then any use of it is an error (decision 5). */
  externalGateways?: readonly ObjectRefFact[];
  virtualServices?: readonly VirtualServiceFact[];
  /** Lookups of a complete snapshot; when set, Services, Pods and VirtualServices are read through it. */
  index?: FactsIndex;
  /** The data of ConfigMap `istio-system/istio`; `null` when it is known not to exist. */
  istioMeshConfigMap?: { data: Readonly<Record<string, string>> } | null;
  /** `jwtHandler` of ConfigMap `kyma-system/api-gateway-config` (`ory` when it does not exist). */
  jwtHandler?: string;
  apiGateways?: readonly APIGatewayFact[];
  rateLimits?: readonly RateLimitFact[];
}
