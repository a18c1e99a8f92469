/** Fixed module constants of the v1beta1 pipeline (docs/spec/apirule-v1beta1.md §5). */
export const OATHKEEPER_PROXY_HOST = "ory-oathkeeper-proxy.kyma-system.svc.cluster.local";
export const OATHKEEPER_PROXY_PORT = 4455;
export const OATHKEEPER_PRINCIPAL = "cluster.local/ns/kyma-system/sa/oathkeeper-maester-account";

export const DEFAULT_CORS = {
  allowOrigins: [{ regex: ".*" }],
  allowMethods: ["GET", "POST", "PUT", "DELETE", "PATCH"],
  allowHeaders: ["Authorization", "Content-Type", "*"],
};
