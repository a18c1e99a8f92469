import assert from "node:assert/strict";
import { stringify } from "yaml";
import { loadConnection } from "./connection.ts";

async function kubeconfig(
  user: Record<string, unknown>,
  cluster: Record<string, unknown>,
): Promise<string> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/config`;
  await Deno.writeTextFile(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "ctx",
      contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
      clusters: [{ name: "c", cluster }],
      users: [{ name: "u", user }],
    }),
  );
  return path;
}

Deno.test("loadConnection() reads the current context of a kubeconfig", async (t) => {
  await t.step("server, inline CA and token", async () => {
    const path = await kubeconfig({ token: "t0k3n" }, {
      server: "https://127.0.0.1:6443/",
      "certificate-authority-data": btoa("CA PEM"),
    });
    const loaded = await loadConnection(path, () => undefined);
    assert.ok(loaded.ok);
    assert.equal(loaded.value.server, "https://127.0.0.1:6443");
    assert.equal(loaded.value.caPem, "CA PEM");
    assert.equal(await loaded.value.token(), "t0k3n");
    assert.equal(loaded.value.clientCert, undefined);
  });
  await t.step("files next to the kubeconfig and a client certificate", async () => {
    const path = await kubeconfig({
      "client-certificate": "cert.pem",
      "client-key-data": btoa("KEY"),
    }, {
      server: "https://h:1",
      "certificate-authority": "ca.pem",
    });
    const dir = path.slice(0, path.lastIndexOf("/"));
    await Deno.writeTextFile(`${dir}/ca.pem`, "CA FILE");
    await Deno.writeTextFile(`${dir}/cert.pem`, "CERT FILE");
    const loaded = await loadConnection(path, () => undefined);
    assert.ok(loaded.ok);
    assert.equal(loaded.value.caPem, "CA FILE");
    assert.deepEqual(loaded.value.clientCert, { cert: "CERT FILE", key: "KEY" });
    assert.equal(await loaded.value.token(), undefined);
  });
});

Deno.test("loadConnection() says why it cannot connect", async (t) => {
  await t.step("no kubeconfig and not in a cluster", async () => {
    const loaded = await loadConnection(undefined, () => undefined);
    assert.equal(loaded.ok, false);
  });
  await t.step("a kubeconfig without a server", async () => {
    const loaded = await loadConnection(await kubeconfig({}, {}), () => undefined);
    assert.ok(!loaded.ok && loaded.error.includes("has no server"));
  });
  await t.step("an unreadable kubeconfig", async () => {
    const loaded = await loadConnection("/nonexistent/kubeconfig", () => undefined);
    assert.ok(
      !loaded.ok && loaded.error.startsWith('Cannot read kubeconfig "/nonexistent/kubeconfig"'),
    );
  });
});
