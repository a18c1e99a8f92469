/** Submitting apigw's own objects to the test apiserver as dry-run creates. */
import { ownKind } from "../../api/kinds.ts";
import { validateSchema } from "../../api/schema/validate.ts";
import { formatProblem, type Problem } from "../../api/schema/problem.ts";
import type { TestCluster } from "../cluster/mod.ts";

const PLURALS: Record<string, string> = {
  APIRule: "apirules",
  RateLimit: "ratelimits",
  APIGateway: "apigateways",
};

/** The collection path of an object of apigw's kinds in `namespace`. */
export function collectionPath(object: Record<string, unknown>, namespace: string): string {
  const kind = String(object.kind);
  const base = `/apis/${String(object.apiVersion)}`;
  const namespaced = ownKind(object.apiVersion, object.kind)?.namespaced ?? true;
  return `${base}${namespaced ? `/namespaces/${namespace}` : ""}/${
    PLURALS[kind] ?? kind.toLowerCase() + "s"
  }`;
}

export interface Verdict {
  accepted: boolean;
  status: number;
  message: string;
  /** The response body: the object as the apiserver would store it, when accepted. */
  body?: unknown;
}

/** A dry-run create with strict field validation, as `kubectl apply --dry-run=server` does. */
export async function dryRunCreate(
  cluster: TestCluster,
  object: Record<string, unknown>,
  namespace: string,
): Promise<Verdict> {
  const metadata = (object.metadata ?? {}) as Record<string, unknown>;
  const body = {
    ...object,
    metadata: {
      ...metadata,
      ...(ownKind(object.apiVersion, object.kind)?.namespaced === false ? {} : { namespace }),
    },
  };
  const response = await cluster.request(
    "POST",
    `${collectionPath(object, namespace)}?dryRun=All&fieldValidation=Strict`,
    body,
  );
  let message = response.text;
  let answer: unknown;
  try {
    answer = JSON.parse(response.text);
    message = String((answer as { message?: unknown }).message ?? response.text);
  } catch {
    // not a Status object: keep the raw text
  }
  return {
    accepted: response.status === 201,
    status: response.status,
    message,
    body: answer,
  };
}

/** The offline schema problems of an object of apigw's kinds. */
export function offlineProblems(object: Record<string, unknown>): Problem[] {
  const kind = ownKind(object.apiVersion, object.kind);
  return kind === undefined ? [] : validateSchema(kind.schema, object);
}

/**
 * What the apiserver's message must contain: the field of every structural problem, and — when
 * there is none, since the apiserver then skips every CEL rule — each failed rule's field and
 * message.
 */
export function expectedFragments(problems: readonly Problem[]): string[] {
  const structural = problems.filter((p) => p.celMessage === undefined);
  const shown = structural.length > 0 ? structural : problems;
  return shown.flatMap((p) => [p.path, ...(p.celMessage !== undefined ? [p.celMessage] : [])])
    .filter((f) => f !== "");
}

export { formatProblem };
