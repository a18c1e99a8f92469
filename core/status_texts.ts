/**
 * The status descriptions apigw writes on its CRs, as templates: the literal text with
 * `<placeholders>` for the parts that vary (object names, validation messages, errors from the
 * API server). One closed list for the troubleshooting guide (docs/troubleshooting.md has one
 * entry per template, tests/docs/troubleshooting_test.ts) and for tests that check a planner's
 * description is one of them (core/status_texts_test.ts). The texts live where they are built
 * (core/apirule, core/ratelimit, core/apigateway, controllers/); this file only names them.
 */
import type { CRState } from "./plan.ts";

export type StatusKind = "APIRule" | "RateLimit" | "APIGateway";

export interface StatusText {
  kind: StatusKind;
  state: Exclude<CRState, "Deleting">;
  /** The description; `<name>` marks a variable part. */
  template: string;
}

const LOGS_HINT =
  "Please take a look at kyma-system/api-gateway-controller-manager logs to see more information about the warning";
const CRD_MISSING =
  "CRD <crd> is not present. Make sure to install required dependencies for the component";

export const STATUS_TEXTS: readonly StatusText[] = [
  // APIRule v2 and v2alpha1 (and v1beta1 where the text is shared)
  { kind: "APIRule", state: "Ready", template: "Reconciled successfully" },
  {
    kind: "APIRule",
    state: "Ready",
    template: "Reconciled successfully. APIRule v1beta1 is deprecated: version v2 is recommended",
  },
  { kind: "APIRule", state: "Warning", template: CRD_MISSING },
  { kind: "APIRule", state: "Error", template: "Validation errors: Attribute '<path>': <message>" },
  { kind: "APIRule", state: "Error", template: 'Validation error: Attribute "<path>": <message>' },
  {
    kind: "APIRule",
    state: "Error",
    template: 'Multiple validation errors: <newline>Attribute "<path>": <message>',
  },
  { kind: "APIRule", state: "Error", template: "ApiRuleErrors: <error>" },
  { kind: "APIRule", state: "Error", template: "VirtualServiceErrors: <errors>" },
  { kind: "APIRule", state: "Error", template: "AuthorizationPolicyErrors: <errors>" },
  { kind: "APIRule", state: "Error", template: "RequestAuthenticationErrors: <errors>" },
  { kind: "APIRule", state: "Error", template: "AccessRuleErrors: <errors>" },
  { kind: "APIRule", state: "Error", template: "spec.<field>: <problem>" },
  {
    kind: "APIRule",
    state: "Error",
    template: "annotation gateway.kyma-project.io/v1beta1-spec is missing",
  },
  { kind: "APIRule", state: "Error", template: "Can't read json: <error>" },
  { kind: "APIRule", state: "Error", template: "service name is required but missing" },
  { kind: "APIRule", state: "Error", template: 'services "<name>" not found' },
  {
    kind: "APIRule",
    state: "Error",
    template:
      "Service <namespace>/<name> has no selector: refusing to generate namespace-wide policies",
  },
  {
    kind: "APIRule",
    state: "Error",
    template:
      "Gateway <namespace>/<name> was not found or selects no pods: the jwtHandler apigw policy cannot be placed",
  },
  // RateLimit
  { kind: "RateLimit", state: "Ready", template: "Finished reconciliation" },
  {
    kind: "RateLimit",
    state: "Error",
    template: 'RateLimit.gateway.kyma-project.io "<name>" is invalid: <problems>',
  },
  {
    kind: "RateLimit",
    state: "Error",
    template: "dependency missing 'envoyfilters.networking.istio.io': <error>",
  },
  {
    kind: "RateLimit",
    state: "Warning",
    template: "failed to reconcile RateLimit CR because of missing APIGateway CR in the cluster",
  },
  {
    kind: "RateLimit",
    state: "Warning",
    template: "failed to create RateLimit CR because APIGateway CR is in <state> state",
  },
  { kind: "RateLimit", state: "Error", template: "failed to validate RateLimit: <message>" },
  { kind: "RateLimit", state: "Error", template: "failed to create EnvoyFilter: <error>" },
  // APIGateway
  { kind: "APIGateway", state: "Ready", template: "Successfully reconciled" },
  {
    kind: "APIGateway",
    state: "Warning",
    template:
      "stopped APIGateway CR reconciliation: only APIGateway CR <name> reconciles the module",
  },
  { kind: "APIGateway", state: "Error", template: CRD_MISSING },
  {
    kind: "APIGateway",
    state: "Warning",
    template: `There are <kinds> that block the deletion of API-Gateway CR. ${LOGS_HINT}`,
  },
  {
    kind: "APIGateway",
    state: "Warning",
    template: `There are custom resources that block the deletion of Kyma Gateway. ${LOGS_HINT}`,
  },
  {
    kind: "APIGateway",
    state: "Error",
    template: "Error during Kyma Gateway reconciliation: <error>",
  },
  {
    kind: "APIGateway",
    state: "Error",
    template: "Oathkeeper did not reconcile successfully: <error>",
  },
  {
    kind: "APIGateway",
    state: "Error",
    template: "Oathkeeper did not start successfully: <error>",
  },
  { kind: "APIGateway", state: "Processing", template: "Waiting for <deployment> to be created" },
  {
    kind: "APIGateway",
    state: "Processing",
    template: "Waiting for <deployment> to become available",
  },
  { kind: "APIGateway", state: "Error", template: "Error during VPA reconciliation: <error>" },
  // A NetworkPolicy the API server refused: its error message, as it is.
  { kind: "APIGateway", state: "Error", template: "<error>" },
];

/** The template as an anchored pattern: placeholders match anything, even across lines. */
export function templatePattern(template: string): RegExp {
  const parts = template.split(/<[a-z]+>/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join("[\\s\\S]*")}$`);
}

/** The most specific template of `kind` that `description` fits (most literal text wins). */
export function statusTextOf(kind: StatusKind, description: string): StatusText | undefined {
  const literal = (t: StatusText) => t.template.replace(/<[a-z]+>/g, "").length;
  return STATUS_TEXTS.filter((t) =>
    t.kind === kind && templatePattern(t.template).test(description)
  )
    .sort((a, b) => literal(b) - literal(a))[0];
}
