/**
 * Builds the gRPC peers of the tests from the Go module proxy at the versions pinned in
 * `tool/go.mod` and `ratelimit/go.mod`: the Go test client `rlsclient` (go-control-plane's generated types;
 * rate limit calls, or ext_authz Checks with `-authz`),
 * envoyproxy/ratelimit's `service_cmd` (the differential test) and `grpcurl`. They go into one
 * version-keyed folder, `${XDG_CACHE_HOME:-~/.cache}/apigw-grpc/<hash>/`, and share the one Go
 * build cache. Idempotent; the first build takes a few minutes.
 *
 *   deno task grpc:build
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

const TOOL_DIR = fileURLToPath(new URL("./tool", import.meta.url));
/** envoyproxy/ratelimit's own module: its otelgrpc pin conflicts with grpcurl's dependencies. */
const RATELIMIT_DIR = fileURLToPath(new URL("./ratelimit", import.meta.url));
const BUILD_ENV = { CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" };

/** Where each peer is, once built. */
export interface GrpcPeers {
  readonly rlsclient: string;
  readonly ratelimit: string;
  readonly grpcurl: string;
}

const PACKAGES: Record<keyof GrpcPeers, { dir: string; pkg: string }> = {
  rlsclient: { dir: TOOL_DIR, pkg: "./rlsclient" },
  ratelimit: { dir: RATELIMIT_DIR, pkg: "github.com/envoyproxy/ratelimit/src/service_cmd" },
  grpcurl: { dir: TOOL_DIR, pkg: "github.com/fullstorydev/grpcurl/cmd/grpcurl" },
};

/** The peers' paths when all are built, else undefined. */
export async function cachedGrpcPeers(): Promise<GrpcPeers | undefined> {
  const peers = pathsIn(await cacheDir());
  for (const path of Object.values(peers)) {
    try {
      if (!(await Deno.stat(path)).isFile) return undefined;
    } catch {
      return undefined;
    }
  }
  return peers;
}

/** Builds whatever peer is missing; returns all their paths. */
export async function ensureGrpcPeers(log: (line: string) => void): Promise<GrpcPeers> {
  const dir = await cacheDir();
  const peers = pathsIn(dir);
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, { dir: module, pkg }] of Object.entries(PACKAGES)) {
    const output = `${dir}/${name}`;
    try {
      await Deno.stat(output);
      continue;
    } catch { /* not built yet */ }
    log(`Building ${name} (${pkg}) into ${dir}…`);
    const result = await new Deno.Command("nice", {
      args: ["-n", "10", "go", "-C", module, "build", "-trimpath", "-o", `${output}.tmp`, pkg],
      env: BUILD_ENV,
      stdin: "null",
    }).output();
    if (!result.success) {
      const text = new TextDecoder().decode(result.stderr).trimEnd().split("\n").slice(-30);
      await Deno.remove(`${output}.tmp`).catch(() => {});
      throw new Error(`Cannot build ${name}: go build failed:\n${text.join("\n")}`);
    }
    await Deno.rename(`${output}.tmp`, output);
  }
  return peers;
}

function pathsIn(dir: string): GrpcPeers {
  return {
    rlsclient: `${dir}/rlsclient`,
    ratelimit: `${dir}/ratelimit`,
    grpcurl: `${dir}/grpcurl`,
  };
}

async function cacheDir(): Promise<string> {
  const base = Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  const hash = createHash("sha256")
    .update(await Deno.readFile(`${TOOL_DIR}/go.mod`))
    .update(await Deno.readFile(`${TOOL_DIR}/go.sum`))
    .update(await Deno.readFile(`${RATELIMIT_DIR}/go.mod`))
    .update(await Deno.readFile(`${RATELIMIT_DIR}/go.sum`))
    .update(await Deno.readFile(`${TOOL_DIR}/rlsclient/main.go`))
    // Package paths only: the folders are absolute and differ per checkout (CI's temporary
    // clone, worktrees), which would rebuild the peers for each.
    .update(JSON.stringify([Object.values(PACKAGES).map((p) => p.pkg), BUILD_ENV]))
    .digest("hex")
    .slice(0, 12);
  return `${base}/apigw-grpc/${hash}`;
}

if (import.meta.main) {
  try {
    console.log(JSON.stringify(await ensureGrpcPeers((line) => console.error(line)), null, 2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
