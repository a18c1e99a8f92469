/**
 * Kubernetes API failures, mapped once into the few kinds callers act on (STYLE §5). Callers
 * `switch` on `reason`; they never match on message text. A network failure is `Unavailable`
 * without an HTTP status: none is invented for it.
 */

/** What went wrong, as far as a caller needs to know. */
export type KubeErrorReason =
  | "NotFound"
  | "Conflict"
  | "Gone"
  | "Forbidden"
  | "Invalid"
  | "Unavailable";

/** A failed Kubernetes API call. */
export class KubeError extends Error {
  override name = "KubeError";
  readonly reason: KubeErrorReason;
  /** The HTTP status, when the apiserver answered at all. */
  readonly status: number | undefined;

  constructor(
    reason: KubeErrorReason,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.reason = reason;
    this.status = options.status;
  }
}

/** The reason for an HTTP status of the apiserver (a `metav1.Status` code). */
export function reasonOfStatus(status: number): KubeErrorReason {
  switch (status) {
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 401:
    case 403:
      return "Forbidden";
    case 400:
    case 405:
    case 413:
    case 415:
    case 422:
      return "Invalid";
    default:
      return "Unavailable";
  }
}

/**
 * The error for a non-2xx answer. `body` is the parsed response (a `metav1.Status` when the
 * apiserver produced it); its `message` is kept verbatim, since status texts quote it.
 */
export function errorFromResponse(
  status: number,
  body: unknown,
  what: string,
): KubeError {
  const message = isRecord(body) && typeof body.message === "string"
    ? body.message
    : `${what} failed with HTTP ${status}`;
  return new KubeError(reasonOfStatus(status), message, { status });
}

/** The error for a request that got no answer (connection refused, reset, timeout). */
export function unavailable(what: string, cause: unknown): KubeError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new KubeError("Unavailable", `${what} failed: ${detail}`, { cause });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
