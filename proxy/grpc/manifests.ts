/**
 * What the gRPC ext_authz listener adds to the authz objects of `apigw manifests`: the
 * `--grpc-listen` flag, the container and Service port (`appProtocol: grpc`), and the Istio
 * `envoyExtAuthzGrpc` extension provider that points Envoy at it (`--extension-provider --grpc`).
 */

/** The gRPC ext_authz port in the cluster (OPA-Envoy's, so existing mesh configs carry over). */
export const GRPC_AUTHZ_PORT = 9191;

/** The container arguments that turn the listener on. */
export function grpcAuthzArgs(): string[] {
  return ["--grpc-listen", `0.0.0.0:${GRPC_AUTHZ_PORT}`];
}

/** The Service port of the listener. */
export function grpcAuthzServicePort(): Record<string, unknown> {
  return {
    name: "grpc-authz",
    port: GRPC_AUTHZ_PORT,
    targetPort: "grpc-authz",
    appProtocol: "grpc",
  };
}

/**
 * The default name of the gRPC provider. APIRule v2 `extAuth` authorizers must name an
 * `envoyExtAuthzHttp` provider (upstream's check, docs/spec/apirule-v2.md Q5), so the HTTP provider keeps
 * `apigw-authz` and the gRPC one is a second provider; `apigwProvider` in api-gateway-config
 * makes the CUSTOM policies apigw renders (jwtHandler apigw, RateLimit spec.global) name it.
 */
export const GRPC_PROVIDER_NAME = "apigw-authz-grpc";

/**
 * The `meshConfig.extensionProviders[]` entry (Istio `envoyExtAuthzGrpc`): a 1 s timeout and
 * `statusOnError: "503"` as the HTTP provider. Envoy sends every header in a gRPC check and
 * applies the CheckResponse's headers itself: no header lists.
 */
export function grpcExtensionProvider(
  options: { namespace?: string; name?: string; providerName?: string },
): Record<string, unknown> {
  const namespace = options.namespace ?? "kyma-system";
  return {
    name: options.providerName ?? GRPC_PROVIDER_NAME,
    envoyExtAuthzGrpc: {
      service: `${options.name ?? "apigw-authz"}.${namespace}.svc.cluster.local`,
      port: GRPC_AUTHZ_PORT,
      timeout: "1s",
      statusOnError: "503",
    },
  };
}
