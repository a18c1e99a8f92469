/**
 * Builds the apigw container image (`deno task image:build`) and saves it as an OCI archive
 * (`deno task image:save [FILE]`), with podman and the runc runtime from Debian's packages.
 *
 * The build needs no network: the base is a Debian bookworm minbase made once by mmdebstrap (from
 * the machine's own apt mirror) and imported into podman's storage; the Deno binary is the one
 * the npm `deno` package ships; the npm dependencies are cached on the host into a fresh
 * `DENO_DIR` and copied in. The image tag is `DEFAULT_IMAGE` of cli/version.ts, the one
 * `apigw manifests` references.
 */
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { DEFAULT_IMAGE } from "../cli/version.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CONTEXT = `${ROOT}dist/image-context`;
/** The base only changes with Debian's suite; re-made when its tag is missing. */
export const BASE_IMAGE = "localhost/apigw-base:bookworm-minbase";
/** The files of the repository that the binary runs from (tests, bench and docs stay out). */
const APP_PATHS = [
  "main.ts",
  "config.ts",
  "deno.json",
  "deno.lock",
  "api",
  "core",
  "kube",
  "controllers",
  "proxy",
  "webhook",
  "cli",
  "lib",
  "examples",
  "manifests",
];
/**
 * The defaults of podman cannot be raised on these machines (hybrid cgroups: crun refuses, and
 * the default ulimits exceed the sandbox's), so every podman call names runc and fixed ulimits.
 */
export const PODMAN_RUN_FLAGS = [
  "--runtime",
  "runc",
  "--ulimit",
  "nofile=4096:4096",
  "--ulimit",
  "nproc=4096:4096",
];
const PACKAGES = ["podman", "runc", "mmdebstrap"];

type Log = (line: string) => void;

async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; quiet?: boolean } = {},
): Promise<string> {
  const output = await new Deno.Command(command, {
    args,
    cwd: options.cwd ?? ROOT,
    env: options.env ?? {},
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-15).join("\n");
    throw new Error(
      `${command} ${args.slice(0, 3).join(" ")} failed (exit ${output.code}):\n${stderr}`,
    );
  }
  return stdout;
}

async function has(command: string): Promise<boolean> {
  return await run("sh", ["-c", `command -v ${command}`]).then(() => true, () => false);
}

/** Installs podman, runc and mmdebstrap with apt when one is missing (the tests run as root). */
export async function ensureTools(log: Log): Promise<void> {
  const missing: string[] = [];
  for (const name of PACKAGES) if (!(await has(name))) missing.push(name);
  if (missing.length === 0) return;
  log(`Installing ${missing.join(", ")} with apt-get…`);
  await run("apt-get", ["update", "-qq"], { env: { DEBIAN_FRONTEND: "noninteractive" } });
  await run("apt-get", ["install", "-y", "-qq", ...PACKAGES], {
    env: { DEBIAN_FRONTEND: "noninteractive" },
  });
}

async function imageExists(tag: string): Promise<boolean> {
  return await run("podman", ["image", "exists", tag]).then(() => true, () => false);
}

/** The `deb URI SUITE COMPONENTS` lines of the machine's apt sources (deb822 or one-line). */
async function mirrorLines(): Promise<string[]> {
  const lines: string[] = [];
  const listed = await Deno.readTextFile("/etc/apt/sources.list").catch(() => "");
  for (const line of listed.split("\n")) if (/^deb\s/.test(line.trim())) lines.push(line.trim());
  const dir = "/etc/apt/sources.list.d";
  const names = await Array.fromAsync(Deno.readDir(dir)).catch(() => []);
  for (const entry of names) {
    if (!entry.name.endsWith(".sources")) continue;
    const text = await Deno.readTextFile(`${dir}/${entry.name}`);
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) => stanza.match(new RegExp(`^${name}:\\s*(.+)$`, "m"))?.[1];
      const [uris, suites, components] = [field("URIs"), field("Suites"), field("Components")];
      if (field("Types")?.includes("deb") !== true || !uris || !suites || !components) continue;
      for (const suite of suites.split(/\s+/)) {
        if (suite.startsWith("bookworm")) lines.push(`deb ${uris} ${suite} ${components}`);
      }
    }
  }
  return lines;
}

/** Makes the Debian minbase with mmdebstrap and imports it, unless podman already has it. */
export async function ensureBase(log: Log): Promise<void> {
  if (await imageExists(BASE_IMAGE)) return;
  const mirrors = await mirrorLines();
  if (mirrors.length === 0) throw new Error("Cannot make the base image: no bookworm apt source");
  const dir = await Deno.makeTempDir({ prefix: "apigw-base-" });
  try {
    log(`Making the Debian bookworm minbase with mmdebstrap (about a minute)…`);
    await run("mmdebstrap", [
      "--variant=minbase",
      "--quiet",
      "--dpkgopt=path-exclude=/usr/share/{doc,man,locale}/*",
      "bookworm",
      `${dir}/base.tar`,
      ...mirrors,
    ]);
    await run("podman", ["import", `${dir}/base.tar`, BASE_IMAGE]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Copies the app, the deno binary and a DENO_DIR holding exactly the app's dependencies. */
async function stageContext(log: Log): Promise<void> {
  await Deno.remove(CONTEXT, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${CONTEXT}/app`, { recursive: true });
  const tracked = (await run("git", ["ls-files", "-z", "--", ...APP_PATHS])).split("\0")
    .filter((path) => path !== "" && !/_test\.ts$|\/_testing\.ts$/.test(path));
  for (const path of tracked) {
    const target = `${CONTEXT}/app/${path}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${ROOT}${path}`, target).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // deleted, not yet committed
    });
  }
  await Deno.copyFile(Deno.execPath(), `${CONTEXT}/deno`);
  // A DENO_DIR of the app's dependencies only, kept per lock file so later builds download nothing.
  const lock = await Deno.readFile(`${ROOT}deno.lock`);
  const digest = createHash("sha256").update(lock).update(Deno.version.deno).digest("hex");
  const cache = `${cacheHome()}/apigw-image/deno-dir-${digest.slice(0, 16)}`;
  log(`Caching the npm dependencies of main.ts in ${cache}…`);
  await run(Deno.execPath(), ["cache", "--frozen", "main.ts"], {
    cwd: `${CONTEXT}/app`,
    env: { DENO_DIR: cache, DENO_NO_UPDATE_CHECK: "1" },
  });
  await run("cp", ["-R", cache, `${CONTEXT}/deno_dir`]);
}

function cacheHome(): string {
  return Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
}

/** Builds `tag` (default `DEFAULT_IMAGE`) from a clean tree; returns the tag. */
export async function buildImage(log: Log, tag = DEFAULT_IMAGE): Promise<string> {
  await ensureTools(log);
  await ensureBase(log);
  await stageContext(log);
  log(`Building ${tag} with podman (--network=none)…`);
  await run("podman", [
    "build",
    ...PODMAN_RUN_FLAGS,
    "--network=none",
    "--pull=never",
    "--build-arg",
    `BASE=${BASE_IMAGE}`,
    "-f",
    `${ROOT}image/Containerfile`,
    "-t",
    tag,
    CONTEXT,
  ]);
  await Deno.remove(CONTEXT, { recursive: true });
  return tag;
}

/** Saves `tag` as an OCI archive, e.g. to load into a cluster node's runtime. */
export async function saveImage(tag: string, file: string): Promise<void> {
  await Deno.remove(file).catch(() => {});
  await run("podman", ["save", "--format", "oci-archive", "-o", file, tag]);
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { save: { type: "boolean" }, tag: { type: "string" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log(
      "Usage: deno task image:build [--tag TAG]\n       deno task image:save [FILE]\n" +
        `Builds ${DEFAULT_IMAGE} (or TAG) with podman; image:save also writes an OCI archive ` +
        "(default dist/apigw-image.tar)",
    );
    Deno.exit(0);
  }
  const started = performance.now();
  const tag = await buildImage(console.log, values.tag ?? DEFAULT_IMAGE);
  console.log(`Built ${tag} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (values.save) {
    const file = positionals[0] ?? `${ROOT}dist/apigw-image.tar`;
    await saveImage(tag, file);
    console.log(`Saved ${tag} as an OCI archive to ${file}`);
  }
}
