/**
 * Ory Hydra v2 for the introspection tests: built from the Go module proxy by `build.ts` into a
 * cache folder, started here in-memory (`DSN=memory`, `--dev`) on free loopback ports. It issues
 * real client-credentials tokens and introspects and revokes them.
 */
import { freePort } from "../cluster/_ports.ts";
import { poll } from "../poll.ts";

export interface RunningHydra extends AsyncDisposable {
  publicUrl: string;
  adminUrl: string;
  /** Registers a client-credentials client; returns its id and secret. */
  createClient(scope: string): Promise<{ id: string; secret: string }>;
  /** A token for `client` with `scope`. */
  token(client: { id: string; secret: string }, scope: string): Promise<string>;
  revoke(client: { id: string; secret: string }, token: string): Promise<void>;
}

/** Starts Hydra from `binary`. */
export async function startHydra(binary: string): Promise<RunningHydra> {
  const publicPort = freePort();
  const adminPort = freePort();
  const publicUrl = `http://127.0.0.1:${publicPort}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const child = new Deno.Command(binary, {
    args: ["serve", "all", "--dev"],
    env: {
      DSN: "memory",
      SERVE_PUBLIC_HOST: "127.0.0.1",
      SERVE_PUBLIC_PORT: String(publicPort),
      SERVE_ADMIN_HOST: "127.0.0.1",
      SERVE_ADMIN_PORT: String(adminPort),
      URLS_SELF_ISSUER: publicUrl,
      SECRETS_SYSTEM: "apigw-test-system-secret-0123456789",
      LOG_LEVEL: "error",
    },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const basic = (c: { id: string; secret: string }) =>
    `Basic ${btoa(`${encodeURIComponent(c.id)}:${encodeURIComponent(c.secret)}`)}`;
  const hydra: RunningHydra = {
    publicUrl,
    adminUrl,
    async createClient(scope) {
      const response = await fetch(`${adminUrl}/admin/clients`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          grant_types: ["client_credentials"],
          scope,
          token_endpoint_auth_method: "client_secret_basic",
          audience: ["shop"],
        }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(`Hydra refused the client: ${JSON.stringify(body)}`);
      return { id: body.client_id, secret: body.client_secret };
    },
    async token(client, scope) {
      const response = await fetch(`${publicUrl}/oauth2/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: basic(client),
        },
        body: new URLSearchParams({ grant_type: "client_credentials", scope, audience: "shop" }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(`Hydra refused the token: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async revoke(client, token) {
      const response = await fetch(`${publicUrl}/oauth2/revoke`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: basic(client),
        },
        body: new URLSearchParams({ token }),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`Hydra refused the revocation: ${response.status}`);
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    },
  };
  try {
    await poll(async () => {
      try {
        const response = await fetch(`${adminUrl}/health/ready`);
        await response.body?.cancel();
        return response.ok || undefined;
      } catch {
        return undefined;
      }
    }, { what: "Hydra to be ready", timeoutMs: 60_000 });
  } catch (error) {
    await hydra[Symbol.asyncDispose]();
    throw error;
  }
  return hydra;
}
