/**
 * Builds the OpenTelemetry Collector the tests send spans to: a custom build (`collector/`,
 * pinned in its go.mod) with the OTLP receiver and the contrib file exporter only, from the Go
 * module proxy, into the version-keyed `${XDG_CACHE_HOME:-~/.cache}/apigw-otelcol/<hash>/otelcol`.
 * Chosen over Jaeger v2 (`github.com/jaegertracing/jaeger` v1.75.0, `cmd/jaeger`): `go list -deps`
 * counts 739 packages here against 2,325 there (its storage backends, UI and extensions). The
 * first build took 7.5 minutes on the busy shared machine, downloads included; rebuilds with a
 * warm Go build cache take seconds. Idempotent.
 *
 *   deno task otel:build
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

const MODULE_DIR = fileURLToPath(new URL("./collector", import.meta.url));
const BUILD_ENV = { CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" };

/** The collector's path when it is built, else undefined. */
export async function cachedCollector(): Promise<string | undefined> {
  const path = `${await cacheDir()}/otelcol`;
  try {
    return (await Deno.stat(path)).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the collector unless cached; returns its path. */
export async function ensureCollector(log: (line: string) => void): Promise<string> {
  const cached = await cachedCollector();
  if (cached !== undefined) return cached;
  const dir = await cacheDir();
  const output = `${dir}/otelcol`;
  await Deno.mkdir(dir, { recursive: true });
  log(`Building the OpenTelemetry Collector (${MODULE_DIR}) into ${dir}…`);
  const result = await new Deno.Command("nice", {
    args: ["-n", "10", "go", "-C", MODULE_DIR, "build", "-trimpath", "-o", `${output}.tmp`, "."],
    env: BUILD_ENV,
    stdin: "null",
  }).output();
  if (!result.success) {
    const text = new TextDecoder().decode(result.stderr).trimEnd().split("\n").slice(-30);
    await Deno.remove(`${output}.tmp`).catch(() => {});
    throw new Error(`Cannot build the collector: go build failed:\n${text.join("\n")}`);
  }
  await Deno.rename(`${output}.tmp`, output);
  return output;
}

async function cacheDir(): Promise<string> {
  const base = Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  const hash = createHash("sha256")
    .update(await Deno.readFile(`${MODULE_DIR}/go.mod`))
    .update(await Deno.readFile(`${MODULE_DIR}/go.sum`))
    .update(await Deno.readFile(`${MODULE_DIR}/main.go`))
    .update(JSON.stringify(BUILD_ENV))
    .digest("hex")
    .slice(0, 12);
  return `${base}/apigw-otelcol/${hash}`;
}

if (import.meta.main) {
  try {
    console.log(await ensureCollector((line) => console.error(line)));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
