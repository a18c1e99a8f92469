/**
 * Builds Ory Hydra (the version in `tool/go.mod`) from the Go module proxy into
 * `${XDG_CACHE_HOME:-~/.cache}/apigw-hydra/<hash>/hydra`. Hydra's own go.mod replaces
 * `pop/v6` by Ory's fork, which `go install hydra@version` refuses, so the build runs in
 * `tool/`, a module carrying the same replace. Needs a C compiler (SQLite for `DSN=memory`).
 * Idempotent; the first build takes ten minutes or more.
 *
 *   deno task hydra:build
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

const TOOL_DIR = fileURLToPath(new URL("./tool", import.meta.url));
const PKG = "github.com/ory/hydra/v2";

/** The cached binary's path, or undefined when it has not been built. */
export async function cachedHydra(): Promise<string | undefined> {
  const path = `${await cacheDir()}/hydra`;
  try {
    const result = await new Deno.Command(path, { args: ["version"], stdin: "null" }).output();
    return result.success ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Builds Hydra unless cached; returns the binary's path. */
export async function ensureHydra(log: (line: string) => void): Promise<string> {
  const cached = await cachedHydra();
  if (cached !== undefined) return cached;
  const dir = await cacheDir();
  await Deno.mkdir(dir, { recursive: true });
  log(`Building ${PKG} into ${dir} (first run takes several minutes)…`);
  const result = await new Deno.Command("go", {
    // `DSN=memory` is SQLite, which Hydra only has with the sqlite tag (cgo, go-sqlite3).
    args: [
      "-C",
      TOOL_DIR,
      "build",
      "-trimpath",
      "-tags",
      "sqlite,sqlite_omit_load_extension",
      "-o",
      `${dir}/hydra.tmp`,
      PKG,
    ],
    env: { CGO_ENABLED: "1", GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" },
    stdin: "null",
  }).output();
  if (!result.success) {
    const text = new TextDecoder().decode(result.stderr).trimEnd().split("\n").slice(-30);
    throw new Error(`Cannot build Hydra: go build failed:\n${text.join("\n")}`);
  }
  await Deno.rename(`${dir}/hydra.tmp`, `${dir}/hydra`);
  return `${dir}/hydra`;
}

async function cacheDir(): Promise<string> {
  const base = Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  const hash = createHash("sha256")
    .update("sqlite")
    .update(await Deno.readFile(`${TOOL_DIR}/go.mod`))
    .update(await Deno.readFile(`${TOOL_DIR}/go.sum`))
    .digest("hex")
    .slice(0, 12);
  return `${base}/apigw-hydra/${hash}`;
}

if (import.meta.main) {
  console.log(await ensureHydra((line) => console.error(line)));
}
