/**
 * One bounded call to a remote endpoint (introspection, session check, token endpoint):
 * a timeout that also honours the decision deadline, no redirects, a JSON content type, and a
 * body read up to a byte cap (docs/spec/dataplane.md §8 #29).
 */
import type { Deadline } from "../jwt/jwks.ts";
import { readCapped } from "../../lib/http.ts";

export type RemoteAnswer =
  | { ok: true; status: number; headers: Headers; json: unknown }
  | { ok: false; status?: number; headers?: Headers; detail: string; late?: true };

export interface RemoteOptions {
  timeoutMs: number;
  maxBytes: number;
  deadline?: Deadline;
  /** Whether a non-2xx answer still has its JSON body read (it is only read when asked). */
  readErrorBody?: boolean;
}

/** POSTs/GETs `init` to `url` and reads a JSON answer within the bounds. */
export async function callRemote(
  doFetch: typeof fetch,
  url: string,
  init: RequestInit,
  options: RemoteOptions,
): Promise<RemoteAnswer> {
  const budget = options.deadline === undefined
    ? options.timeoutMs
    : Math.min(options.timeoutMs, options.deadline.at - performance.now());
  const late = options.deadline !== undefined && budget < options.timeoutMs;
  if (budget <= 0) return { ok: false, detail: "no time left before the deadline", late: true };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), budget);
  try {
    const response = await doFetch(url, { ...init, redirect: "manual", signal: controller.signal });
    if (response.status < 200 || response.status >= 300) {
      await response.body?.cancel();
      return {
        ok: false,
        status: response.status,
        headers: response.headers,
        detail: `answered ${response.status}`,
      };
    }
    const type = response.headers.get("content-type") ?? "";
    if (!/^application\/([a-z0-9.+-]*\+)?json\b/i.test(type)) {
      await response.body?.cancel();
      return { ok: false, status: response.status, detail: `answered content type "${type}"` };
    }
    const text = await readCapped(response, options.maxBytes);
    if (text === undefined) {
      return {
        ok: false,
        status: response.status,
        detail: `answer exceeds ${options.maxBytes} bytes`,
      };
    }
    try {
      return {
        ok: true,
        status: response.status,
        headers: response.headers,
        json: JSON.parse(text),
      };
    } catch {
      return { ok: false, status: response.status, detail: "answer is not JSON" };
    }
  } catch (error) {
    if (controller.signal.aborted) {
      return {
        ok: false,
        detail: `no answer within ${Math.round(budget)} ms`,
        ...(late ? { late: true } : {}),
      };
    }
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
