/** Kubeconfig files for the test cluster (spec §3.8). */
import { stringify } from "yaml";

/** Writes a kubeconfig (mode 0600) that reaches `url` with `token`, trusting `caPem`. */
export async function writeKubeconfig(
  path: string,
  options: { url: string; caPem: string; token: string; user: string },
): Promise<void> {
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "test",
      cluster: { server: options.url, "certificate-authority-data": btoa(options.caPem) },
    }],
    users: [{ name: options.user, user: { token: options.token } }],
    contexts: [{ name: "test", context: { cluster: "test", user: options.user } }],
    "current-context": "test",
  };
  await Deno.writeTextFile(path, stringify(config), { mode: 0o600 });
}
