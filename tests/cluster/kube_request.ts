/** Plain HTTPS requests to the test kube-apiserver, as the admin or any bearer token. */
import { poll } from "../poll.ts";

/** Where the apiserver is and how to reach it. */
export interface KubeTarget {
  /** `https://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly token: string;
  /** PEM bundle that verifies the serving certificate. */
  readonly caPem: string;
  /** A long-lived client to reuse; without one each request opens and closes its own. */
  readonly client?: Deno.HttpClient;
}

export interface KubeResponse {
  readonly status: number;
  readonly text: string;
  /** The parsed body when it is JSON, else `undefined`. */
  readonly json: unknown;
}

export interface KubeRequestOptions {
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
  /** Defaults to `application/json` when there is a body. */
  contentType?: string;
  accept?: string;
}

/**
 * Sends one request and reads the whole body, so no connection or stream is left open.
 *
 * A 429 is retried for up to 30 s, as client-go does: a new CRD's storage answers 429 while its
 * watch cache initializes.
 */
export async function kubeRequest(
  target: KubeTarget,
  method: string,
  path: string,
  options: KubeRequestOptions = {},
): Promise<KubeResponse> {
  const outcome = await poll(async () => {
    try {
      const response = await send(target, method, path, options);
      return response.status === 429 ? undefined : { response };
    } catch (error) {
      return { error }; // Only a 429 is retried: anything else goes to the caller at once.
    }
  }, { timeoutMs: 30_000, what: `${method} ${path} to stop answering 429` });
  if ("error" in outcome) throw outcome.error;
  return outcome.response;
}

async function send(
  target: KubeTarget,
  method: string,
  path: string,
  options: KubeRequestOptions,
): Promise<KubeResponse> {
  const client = target.client ?? Deno.createHttpClient({ caCerts: [target.caPem] });
  try {
    const headers = new Headers({
      authorization: `Bearer ${target.token}`,
      accept: options.accept ?? "application/json",
    });
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      headers.set("content-type", options.contentType ?? "application/json");
    }
    const response = await fetch(`${target.url}${path}`, {
      method,
      headers,
      client,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    return { status: response.status, text, json: parseJson(text) };
  } finally {
    if (target.client === undefined) client.close();
  }
}

/** Like `kubeRequest()`, but throws unless the status is 2xx (or listed in `allow`). */
export async function kubeOk(
  target: KubeTarget,
  method: string,
  path: string,
  options: KubeRequestOptions & { allow?: number[] } = {},
): Promise<KubeResponse> {
  const response = await kubeRequest(target, method, path, options);
  const ok = response.status >= 200 && response.status < 300;
  if (!ok && !(options.allow ?? []).includes(response.status)) {
    throw new Error(
      `Request ${method} ${path} failed with ${response.status}: ${response.text.slice(0, 500)}`,
    );
  }
  return response;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
