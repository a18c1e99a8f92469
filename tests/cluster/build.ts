/**
 * Builds kube-apiserver and etcd from the Go tool modules into a cache folder outside the repo.
 *
 * Idempotent: a cached pair whose `--version` matches is reused. See
 * docs/spec/test-cluster.md §1.5, §1.6 and §6.2. Run directly with `deno task cluster:build`.
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { ETCD_VERSION, K8S_VERSION } from "./versions.ts";

export interface Binaries {
  readonly dir: string;
  readonly kubeApiserver: string;
  readonly etcd: string;
  /** A real kubectl, for the install test (tests/install/). */
  readonly kubectl: string;
}

interface Target {
  name: "etcd" | "kube-apiserver" | "kubectl";
  version: string;
  toolDir: string;
  pkg: string;
  ldflags: string;
  /** What `<binary> <versionArgs>` must print. */
  expect: string;
  /** How the binary prints its version (default `--version`). */
  versionArgs?: string[];
  note: string;
}

const [K8S_MAJOR, K8S_MINOR] = K8S_VERSION.slice(1).split(".");
const VERSION_PKG = "k8s.io/component-base/version";
/** Without -X, /version reports v0.0.0-master and clients gating on the version misread it. */
function versionLdflags(pkg: string): string[] {
  return [
    `-X ${pkg}.gitMajor=${K8S_MAJOR}`,
    `-X ${pkg}.gitMinor=${K8S_MINOR}`,
    `-X ${pkg}.gitVersion=${K8S_VERSION}`,
    `-X ${pkg}.gitTreeState=clean`,
    `-X ${pkg}.buildDate=1970-01-01T00:00:00Z`,
  ];
}

const TARGETS: readonly Target[] = [
  {
    name: "etcd",
    version: ETCD_VERSION,
    toolDir: toolDir("etcd"),
    pkg: "go.etcd.io/etcd/server/v3",
    ldflags: "-s -w",
    expect: `etcd Version: ${ETCD_VERSION.slice(1)}`,
    note: "first run takes 2–4 min",
  },
  {
    name: "kube-apiserver",
    version: K8S_VERSION,
    toolDir: toolDir("kube-apiserver"),
    pkg: "k8s.io/kubernetes/cmd/kube-apiserver",
    ldflags: ["-s -w", ...versionLdflags(VERSION_PKG)].join(" "),
    expect: `Kubernetes ${K8S_VERSION}`,
    note: "first run takes 10–20 min",
  },
  {
    // Built in the kube-apiserver tool module: same pinned modules, same Go build cache.
    name: "kubectl",
    version: K8S_VERSION,
    toolDir: toolDir("kube-apiserver"),
    pkg: "k8s.io/kubernetes/cmd/kubectl",
    ldflags: [
      "-s -w",
      ...versionLdflags(VERSION_PKG),
      ...versionLdflags("k8s.io/client-go/pkg/version"),
    ].join(" "),
    expect: `Client Version: ${K8S_VERSION}`,
    versionArgs: ["version", "--client"],
    note: "a few minutes the first time, shares the kube-apiserver build cache",
  },
];

const BUILD_FLAGS = ["-trimpath", "-pgo=off"];
const BUILD_ENV = { CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" };

/** Builds whatever is missing or stale and returns the binaries' paths. */
export async function ensureBinaries(log: (line: string) => void): Promise<Binaries> {
  const dir = await cacheDir();
  const binaries = {
    dir,
    etcd: `${dir}/etcd`,
    kubeApiserver: `${dir}/kube-apiserver`,
    kubectl: `${dir}/kubectl`,
  };
  const stale: Target[] = [];
  for (const target of TARGETS) {
    if (!(await isValid(`${dir}/${target.name}`, target))) stale.push(target);
  }
  if (stale.length === 0) {
    log(`Using cached binaries in ${dir}`);
    return binaries;
  }
  await Deno.mkdir(dir, { recursive: true });
  for (const target of stale) await build(target, dir, log);
  return binaries;
}

async function build(target: Target, dir: string, log: (line: string) => void): Promise<void> {
  const output = `${dir}/${target.name}`;
  const started = performance.now();
  log(`Building ${target.name} ${target.version} (${target.note})…`);
  const args = [
    "-C",
    target.toolDir,
    "build",
    ...BUILD_FLAGS,
    "-ldflags",
    target.ldflags,
    "-o",
    `${output}.tmp`,
    target.pkg,
  ];
  const result = await new Deno.Command("go", { args, env: BUILD_ENV, stdin: "null" }).output();
  if (!result.success) {
    const text = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
    const tail = text.trimEnd().split("\n").slice(-40).join("\n");
    await Deno.remove(`${output}.tmp`).catch(() => {});
    throw new Error(`Cannot build ${target.name} ${target.version}: go build failed:\n${tail}`);
  }
  await Deno.rename(`${output}.tmp`, output);
  if (!(await isValid(output, target))) {
    throw new Error(`Built ${output}, but its version output does not say "${target.expect}"`);
  }
  log(`Built ${target.name} in ${Math.round((performance.now() - started) / 1000)} s`);
}

async function isValid(path: string, target: Target): Promise<boolean> {
  try {
    const args = target.versionArgs ?? ["--version"];
    const result = await new Deno.Command(path, { args, stdin: "null" }).output();
    const text = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
    return result.success && text.includes(target.expect);
  } catch {
    return false;
  }
}

/** `${XDG_CACHE_HOME:-$HOME/.cache}/apigw-testcluster/k8s-…_etcd-…_<hash>`. */
async function cacheDir(): Promise<string> {
  const base = Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  const hash = createHash("sha256");
  for (const target of TARGETS) {
    hash.update(await Deno.readFile(`${target.toolDir}/go.sum`));
    hash.update(JSON.stringify([target.pkg, target.ldflags]));
  }
  hash.update(JSON.stringify([BUILD_FLAGS, BUILD_ENV]));
  const key = hash.digest("hex").slice(0, 12);
  return `${base}/apigw-testcluster/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_${key}`;
}

function toolDir(name: string): string {
  return fileURLToPath(new URL(`./tools/${name}`, import.meta.url));
}

if (import.meta.main) {
  try {
    const binaries = await ensureBinaries(console.log);
    console.log(`kube-apiserver: ${binaries.kubeApiserver}\netcd: ${binaries.etcd}`);
    console.log(`kubectl: ${binaries.kubectl}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
