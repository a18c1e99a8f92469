/**
 * Where the apiserver is and how apigw authenticates: from a kubeconfig file, or in-cluster from
 * the pod's ServiceAccount (token re-read regularly, since the kubelet rotates bound tokens).
 * https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#bound-service-account-token-volume
 */
import { parse } from "yaml";
import type { Result } from "../api/result.ts";

export interface Connection {
  /** `https://host:port`, no trailing slash. */
  server: string;
  /** CA bundle (PEM) that verifies the apiserver; undefined: the system roots. */
  caPem: string | undefined;
  /** Client certificate and key (PEM), when the kubeconfig uses them. */
  clientCert: { cert: string; key: string } | undefined;
  /** The bearer token for the next request; undefined when certificates authenticate. */
  token(): Promise<string | undefined>;
}

const IN_CLUSTER_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** The kubelet refreshes projected tokens well before they expire; a minute is plenty fresh. */
const TOKEN_FILE_TTL_MS = 60_000;

/**
 * The connection described by `kubeconfigPath` (its current context), or the in-cluster one when
 * no path is given. `env` reads `KUBERNETES_SERVICE_HOST`/`_PORT` for the in-cluster case.
 */
export async function loadConnection(
  kubeconfigPath: string | undefined,
  env: (name: string) => string | undefined,
): Promise<Result<Connection, string>> {
  if (kubeconfigPath !== undefined) return await fromKubeconfig(kubeconfigPath);
  const host = env("KUBERNETES_SERVICE_HOST");
  const port = env("KUBERNETES_SERVICE_PORT") ?? "443";
  if (host === undefined) {
    return {
      ok: false,
      error: "Cannot find the apiserver: no --kubeconfig and KUBERNETES_SERVICE_HOST is not set",
    };
  }
  const caPem = await readOptional(`${IN_CLUSTER_DIR}/ca.crt`);
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    ok: true,
    value: {
      server,
      caPem,
      clientCert: undefined,
      token: tokenFile(`${IN_CLUSTER_DIR}/token`),
    },
  };
}

async function fromKubeconfig(path: string): Promise<Result<Connection, string>> {
  let doc: unknown;
  try {
    doc = parse(await Deno.readTextFile(path));
  } catch (error) {
    return { ok: false, error: `Cannot read kubeconfig "${path}": ${message(error)}` };
  }
  const current = str(doc, "current-context");
  const context = named(doc, "contexts", current)?.context;
  const cluster = named(doc, "clusters", str(context, "cluster"))?.cluster;
  const user = named(doc, "users", str(context, "user"))?.user;
  const server = str(cluster, "server");
  if (server === undefined) {
    return {
      ok: false,
      error: `Cannot use kubeconfig "${path}": its current context has no server`,
    };
  }
  const base = new URL(".", new URL(path, `file://${Deno.cwd()}/`));
  const file = (name: string | undefined) =>
    name === undefined ? undefined : readOptional(new URL(name, base));
  const caPem = decode(str(cluster, "certificate-authority-data")) ??
    await file(str(cluster, "certificate-authority"));
  const cert = decode(str(user, "client-certificate-data")) ??
    await file(str(user, "client-certificate"));
  const key = decode(str(user, "client-key-data")) ?? await file(str(user, "client-key"));
  const token = str(user, "token");
  const tokenPath = str(user, "tokenFile");
  return {
    ok: true,
    value: {
      server: server.replace(/\/+$/, ""),
      caPem,
      clientCert: cert !== undefined && key !== undefined ? { cert, key } : undefined,
      token: token !== undefined
        ? () => Promise.resolve(token)
        : tokenPath !== undefined
        ? tokenFile(new URL(tokenPath, base).pathname)
        : () => Promise.resolve(undefined),
    },
  };
}

/** A token reader that re-reads `path` at most once a minute. */
function tokenFile(path: string): () => Promise<string | undefined> {
  let cached: { value: string | undefined; at: number } | undefined;
  return async () => {
    if (cached === undefined || Date.now() - cached.at > TOKEN_FILE_TTL_MS) {
      const text = await readOptional(path);
      cached = { value: text?.trim(), at: Date.now() };
    }
    return cached.value;
  };
}

async function readOptional(path: string | URL): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function decode(base64: string | undefined): string | undefined {
  if (base64 === undefined) return undefined;
  return new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
}

function named(
  doc: unknown,
  key: string,
  name: string | undefined,
): Record<string, unknown> | undefined {
  const entries = isRecord(doc) && Array.isArray(doc[key]) ? doc[key] : [];
  for (const entry of entries) {
    if (isRecord(entry) && entry.name === name) return entry;
  }
  return undefined;
}

function str(value: unknown, key: string): string | undefined {
  if (!isRecord(value)) return undefined;
  const found = value[key];
  return typeof found === "string" ? found : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
