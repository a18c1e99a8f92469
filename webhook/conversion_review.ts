/**
 * The ConversionReview exchange (docs/spec/conversion.md §14.4, §14.5): every object of a review converted,
 * in order, or the whole review failed with a message naming the object. Accepts
 * `apiextensions.k8s.io/v1` and `v1beta1` reviews and answers in the version it received.
 * See https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definition-versioning/#webhook-request-and-response
 */

export type Converter = (
  object: unknown,
  toApiVersion: string,
) => { ok: true; value: unknown } | { ok: false; error: { message: string } | string };

const REVIEW_VERSIONS = ["apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1"];

export type ReviewOutcome =
  | { status: 200; body: Record<string, unknown>; converted: number; failed: boolean }
  | { status: 400; reason: string };

/** Answers one ConversionReview body; a body that is not a review is a 400 with the reason. */
export function answerConversionReview(body: unknown, convert: Converter): ReviewOutcome {
  if (!isRecord(body) || body.kind !== "ConversionReview") {
    return { status: 400, reason: "Body is not a ConversionReview" };
  }
  if (typeof body.apiVersion !== "string" || !REVIEW_VERSIONS.includes(body.apiVersion)) {
    return {
      status: 400,
      reason: `Unsupported ConversionReview apiVersion ${JSON.stringify(body.apiVersion)}`,
    };
  }
  const request = body.request;
  if (!isRecord(request) || typeof request.uid !== "string") {
    return { status: 400, reason: "ConversionReview has no request.uid" };
  }
  const desired = request.desiredAPIVersion;
  const objects = request.objects;
  const respond = (response: Record<string, unknown>, converted: number, failed: boolean) => ({
    status: 200 as const,
    body: { apiVersion: body.apiVersion, kind: "ConversionReview", response },
    converted,
    failed,
  });
  if (typeof desired !== "string" || !Array.isArray(objects)) {
    return respond(
      failure(request.uid, "ConversionReview request needs desiredAPIVersion and objects"),
      0,
      true,
    );
  }
  const converted: unknown[] = [];
  for (const [index, object] of objects.entries()) {
    const result = convert(object, desired);
    if (!result.ok) {
      // A converter's error object already names the object; a bare reason gets the name here.
      const message = typeof result.error === "string"
        ? `Cannot convert ${describe(object, index)} to ${desired}: ${result.error}`
        : result.error.message;
      return respond(failure(request.uid, message), converted.length, true);
    }
    converted.push(result.value);
  }
  return respond(
    { uid: request.uid, convertedObjects: converted, result: { status: "Success" } },
    converted.length,
    false,
  );
}

function failure(uid: string, message: string): Record<string, unknown> {
  return { uid, convertedObjects: [], result: { status: "Failure", message } };
}

function describe(object: unknown, index: number): string {
  if (isRecord(object) && isRecord(object.metadata)) {
    const { namespace, name } = object.metadata;
    if (typeof name === "string") {
      const kind = typeof object.kind === "string" ? object.kind : "object";
      return `${kind} "${typeof namespace === "string" ? `${namespace}/` : ""}${name}"`;
    }
  }
  return `object ${index}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
