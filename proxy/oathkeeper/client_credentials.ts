/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) for Oathkeeper's `pre_authorization`: a token
 * for calling the introspection endpoint, fetched once per client and reused until shortly
 * before it expires.
 */
import type { ClientAuth } from "../../core/authz/oathkeeper/strategies.ts";
import type { Deadline } from "../jwt/jwks.ts";
import { callRemote } from "./_remote.ts";

type Credentials = Extract<ClientAuth, { kind: "client_credentials" }>;

export interface ClientCredentials {
  token(
    client: Credentials,
    options: { timeoutMs: number; deadline?: Deadline },
  ): Promise<{ ok: true; token: string } | { ok: false; detail: string }>;
}

/** A token source with one cached token per client. */
export function createClientCredentials(
  options: { fetch: typeof fetch; now: () => number; maxBytes: number },
): ClientCredentials {
  const tokens = new Map<string, { token: string; renewAt: number }>();
  return {
    async token(client, call) {
      const key = `${client.tokenUrl}\n${client.clientId}\n${client.scope.join(" ")}`;
      const known = tokens.get(key);
      if (known !== undefined && options.now() < known.renewAt) {
        return { ok: true, token: known.token };
      }
      const body = new URLSearchParams({ grant_type: "client_credentials" });
      if (client.scope.length > 0) body.set("scope", client.scope.join(" "));
      if (client.audience !== undefined) body.set("audience", client.audience);
      const basic = btoa(
        `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`,
      );
      const answer = await callRemote(options.fetch, client.tokenUrl, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
          authorization: `Basic ${basic}`,
        },
        body,
      }, {
        timeoutMs: call.timeoutMs,
        maxBytes: options.maxBytes,
        ...(call.deadline ? { deadline: call.deadline } : {}),
      });
      if (!answer.ok) return { ok: false, detail: answer.detail };
      const json = answer.json;
      const token = isRecord(json) && typeof json.access_token === "string"
        ? json.access_token
        : undefined;
      if (token === undefined) return { ok: false, detail: "answer has no access_token" };
      const expiresIn = isRecord(json) && typeof json.expires_in === "number"
        ? json.expires_in
        : 60;
      // Renewed after 80 % of its life, so a token never expires on the way.
      tokens.set(key, { token, renewAt: options.now() + expiresIn * 800 });
      return { ok: true, token };
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
