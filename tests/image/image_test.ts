/**
 * The container image `apigw manifests` references: built from the tree with podman
 * (`deno task image:build`, no network during the build), then run as the cluster runs it —
 * non-root, read-only root filesystem, a tmpfs and a state volume: `version`, and `serve` on the
 * bundled quickstart answering real requests through a published port. Skipped only when apt
 * cannot install podman/runc/mmdebstrap, saying so.
 */
import assert from "node:assert/strict";
import { buildImage, ensureTools, PODMAN_RUN_FLAGS } from "../../image/build.ts";
import { DEFAULT_IMAGE } from "../../cli/version.ts";
import { freePort } from "../cluster/_ports.ts";

const TAG = DEFAULT_IMAGE;
const toolsReady = await ensureTools(console.log).then(() => undefined, (error) => `${error}`);
if (toolsReady !== undefined) {
  console.warn(
    `skipping image tests: podman, runc or mmdebstrap cannot be installed: ${toolsReady}`,
  );
}
/** The cluster's constraints: readOnlyRootFilesystem, a writable /tmp, a state volume. */
const HARDENED = [...PODMAN_RUN_FLAGS, "--read-only", "--tmpfs", "/tmp", "--init"];

async function podman(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command("podman", { args, stdout: "piped", stderr: "piped" })
    .output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

async function poll(
  url: string,
  init: RequestInit & { client: Deno.HttpClient },
  deadlineMs: number,
): Promise<Response> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

Deno.test({
  name: "the apigw image builds without network and runs `version` read-only as non-root",
  ignore: toolsReady !== undefined,
  sanitizeResources: false,
  async fn() {
    await buildImage(console.log, TAG);
    const run = await podman(["run", "--rm", ...HARDENED, TAG, "version", "-o", "json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).deno, Deno.version.deno);
    const user = await podman(["image", "inspect", TAG, "--format", "{{.Config.User}}"]);
    assert.equal(user.stdout.trim(), "65532:65532");
    const id = await podman(["run", "--rm", ...HARDENED, "--entrypoint", "/usr/bin/id", TAG, "-u"]);
    assert.equal(id.stdout.trim(), "65532");
    const write = await podman([
      "run",
      "--rm",
      ...HARDENED,
      "--entrypoint",
      "/bin/sh",
      TAG,
      "-c",
      "touch /opt/apigw/app/x",
    ]);
    assert.notEqual(write.code, 0, "the root filesystem is read-only");
  },
});

Deno.test({
  name:
    "the apigw image serves the quickstart read-only: public 200, jwt 401 then 200 with a token",
  ignore: toolsReady !== undefined,
  sanitizeResources: false,
  async fn() {
    const name = `apigw-image-test-${crypto.randomUUID().slice(0, 8)}`;
    const volume = `${name}-state`;
    const port = freePort();
    assert.equal((await podman(["volume", "create", volume])).code, 0);
    try {
      const started = await podman([
        "run",
        "-d",
        "--name",
        name,
        ...HARDENED,
        "-v",
        `${volume}:/var/lib/apigw`,
        "-p",
        `127.0.0.1:${port}:8080`,
        TAG,
        "serve",
        "--listen",
        "0.0.0.0:8080",
      ]);
      assert.equal(started.code, 0, started.stderr);
      // The gateway as an HTTP proxy: the request line names the virtual host, as curl's does.
      using client = Deno.createHttpClient({ proxy: { url: `http://127.0.0.1:${port}` } });
      const base = "http://echo.localhost";
      const open = await poll(`${base}/public/hello`, { client }, 60_000);
      assert.equal(open.status, 200);
      assert.equal(JSON.parse(await open.text()).path, "/public/hello");
      const denied = await fetch(`${base}/private/data`, { client });
      await denied.body?.cancel();
      assert.equal(denied.status, 401);
      // `apigw token` in a second container signs with the dev key serve made in the volume.
      const token = await podman([
        "run",
        "--rm",
        ...HARDENED,
        "-v",
        `${volume}:/var/lib/apigw`,
        TAG,
        "token",
        "--sub",
        "alice",
        "--scope",
        "read",
      ]);
      assert.equal(token.code, 0, token.stderr);
      const allowed = await fetch(`${base}/private/data`, {
        client,
        headers: { authorization: `Bearer ${token.stdout.trim()}` },
      });
      await allowed.body?.cancel();
      assert.equal(allowed.status, 200);
      // SIGTERM reaches the process through --init: it stops well before podman's 10 s kill.
      const stopped = await podman(["stop", "-t", "10", name]);
      assert.equal(stopped.code, 0, stopped.stderr);
      const state = await podman(["inspect", name, "--format", "{{.State.ExitCode}}"]);
      assert.notEqual(state.stdout.trim(), "137", "the gateway was killed, not stopped");
    } finally {
      await podman(["rm", "-f", name]);
      await podman(["volume", "rm", "-f", volume]);
    }
  },
});
