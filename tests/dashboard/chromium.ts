/**
 * Debian's headless Chromium for the dashboard's browser test: installed with apt-get when
 * missing (like nginx and redis-server), started with a fresh profile and a DevTools port the
 * test reads from stderr.
 */
/** The Chromium binary on PATH, if any. */
export async function chromiumPath(): Promise<string | undefined> {
  for (const name of ["chromium", "chromium-browser"]) {
    if (await runs(name, ["--version"])) return name;
  }
  return undefined;
}

/**
 * Installs Debian's `chromium` unless it is on PATH. Answers why it could not be installed
 * (apt-get missing or failing) instead of throwing: the browser test then skips, saying so.
 */
export async function ensureChromiumInstalled(
  log: (line: string) => void,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (await chromiumPath() !== undefined) return { ok: true };
  log("chromium is not on PATH: installing it from Debian");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "chromium"]]) {
    log(`$ apt-get ${args.join(" ")}`);
    let result: Deno.CommandOutput;
    try {
      result = await new Deno.Command("apt-get", { args, env, stdin: "null" }).output();
    } catch (error) {
      return { ok: false, reason: `apt-get cannot run: ${String(error)}` };
    }
    if (!result.success) {
      const tail = new TextDecoder().decode(result.stderr).trimEnd().split("\n").slice(-5);
      return { ok: false, reason: `apt-get ${args[0]} failed: ${tail.join(" / ")}` };
    }
  }
  log("Installed chromium");
  return { ok: true };
}

export interface Chromium extends AsyncDisposable {
  /** `ws://127.0.0.1:<port>/devtools/browser/<id>` */
  readonly browserUrl: string;
  /** `http://127.0.0.1:<port>` of the DevTools HTTP endpoints. */
  readonly devtoolsOrigin: string;
  stop(): Promise<void>;
}

/** Starts headless Chromium with a fresh profile; resolves once DevTools listens. */
export async function startChromium(binary: string): Promise<Chromium> {
  const profile = await Deno.makeTempDir({ prefix: "apigw-chromium-" });
  const child = new Deno.Command(binary, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const timer = setTimeout(() => void stop(), 30_000);
  try {
    while (true) {
      const { value, done } = await lines.read();
      if (done) {
        const status = await child.status;
        throw new Error(`chromium exited (${status.code}) before DevTools listened:\n${seen}`);
      }
      seen += value;
      const match = /DevTools listening on (ws:\/\/[^\s]+)/.exec(seen);
      if (match !== null) {
        const browserUrl = match[1]!;
        // Keep reading stderr so the pipe never fills.
        void (async () => {
          while (!(await lines.read()).done) { /* drain */ }
        })().catch(() => {});
        const origin = new URL(browserUrl);
        return {
          browserUrl,
          devtoolsOrigin: `http://${origin.host}`,
          stop,
          [Symbol.asyncDispose]: stop,
        };
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function runs(command: string, args: string[]): Promise<boolean> {
  try {
    const result = await new Deno.Command(command, { args, stdout: "null", stderr: "null" })
      .output();
    return result.success;
  } catch {
    return false;
  }
}
