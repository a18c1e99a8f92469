/**
 * Runs the tutorials of docs/ as a reader would: every fenced block marked with an HTML comment is
 * a step, in document order.
 *
 * - `<!-- file: NAME -->` before a block: the block is written to NAME in the tutorial's folder
 *   (again later: a changed file, which a running `apigw serve` reloads).
 * - `<!-- test: offline -->`: each line is a shell command (`apigw` runs `main.ts`); a trailing
 *   `# exit N` expects that exit code, otherwise 0.
 * - `<!-- test: output -->`: every non-empty line of the block appears in the output of the
 *   previous command block.
 * - `<!-- test: serve -->`: the first line starts `apigw serve` (or `apigw authz`) in the
 *   background, as in a second terminal; the other lines are requests.
 * - `<!-- test: requests -->`: shell lines whose trailing `# 200 404 …` comment lists the HTTP
 *   statuses they print (`curl -i` status lines, or `-w '%{http_code}'` codes), and any words
 *   after them that the answer shows (`# 403 insufficient_scope`); with
 *   `<!-- test: requests, poll -->` each line is retried until it prints them (after a reload).
 * - `<!-- test: log -->`: every non-empty line appears, in time, in the log of the process the
 *   last serve block started.
 * - `<!-- test: cluster -->`: shell lines (`kubectl`, `apigw`) against the test cluster.
 *
 * Commands run through `sh -c` in a temp folder with `apigw` (and `kubectl`, when given) first on
 * PATH. The ports 8080, 8081, 8082, 8443 and 9092 of the text are replaced with free ports, so tutorials
 * run side by side.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { freePort } from "../cluster/_ports.ts";
import { poll } from "../poll.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOCUMENTED_PORTS = [8080, 8081, 8082, 8443, 9092] as const;

export type Step =
  | { kind: "file"; name: string; text: string; line: number }
  | {
    kind: "offline" | "serve" | "requests" | "cluster" | "output" | "log";
    lines: string[];
    poll: boolean;
    line: number;
  };

/** The marked blocks of a markdown text, in order. */
export function parseSteps(markdown: string): Step[] {
  const steps: Step[] = [];
  const lines = markdown.split("\n");
  let marker: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const comment = /^<!-- (test|file): (.+?) -->$/.exec(line.trim());
    if (comment !== null) {
      marker = `${comment[1]}:${comment[2]}`;
      continue;
    }
    const fence = /^```(\w*)$/.exec(line);
    if (fence === null) {
      if (line.trim() !== "") marker = undefined;
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i]!);
    if (marker === undefined) continue;
    const [type, value] = [
      marker.slice(0, marker.indexOf(":")),
      marker.slice(marker.indexOf(":") + 1),
    ];
    marker = undefined;
    if (type === "file") {
      steps.push({ kind: "file", name: value, text: body.join("\n") + "\n", line: start + 1 });
      continue;
    }
    const [kind, ...flags] = value.split(/,\s*/);
    assert.ok(
      ["offline", "serve", "requests", "cluster", "output", "log"].includes(kind!),
      `line ${start + 1}: unknown test marker ${value}`,
    );
    steps.push({
      kind: kind as "offline",
      lines: joinContinuations(body),
      poll: flags.includes("poll"),
      line: start + 1,
    });
  }
  return steps;
}

/** Shell lines ending in `\` continue on the next line. */
function joinContinuations(body: string[]): string[] {
  const out: string[] = [];
  let pending = "";
  for (const raw of body) {
    if (raw.trim() === "" && pending === "") continue;
    if (raw.endsWith("\\")) {
      pending += raw.slice(0, -1);
      continue;
    }
    out.push(pending + raw);
    pending = "";
  }
  return out;
}

/** The tutorial's text with its documented ports mapped to free ones. */
export function withFreePorts(markdown: string): { text: string; ports: Map<number, number> } {
  const ports = new Map<number, number>();
  let text = markdown;
  for (const port of DOCUMENTED_PORTS) {
    const free = freePort();
    ports.set(port, free);
    text = text.replace(new RegExp(`(?<![\\d.])${port}(?!\\d)`, "g"), String(free));
  }
  return { text, ports };
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** A shell for the tutorial: its folder, `apigw` on PATH, and what each command printed. */
export class Shell implements AsyncDisposable {
  readonly env: Record<string, string>;
  #background: Deno.ChildProcess[] = [];
  lastOutput = "";

  private constructor(
    readonly dir: string,
    readonly bin: string,
    extraEnv: Record<string, string>,
  ) {
    this.env = { ...extraEnv, PATH: `${bin}:${Deno.env.get("PATH") ?? ""}`, NO_COLOR: "1" };
  }

  static async create(options: { kubectl?: string; env?: Record<string, string> } = {}) {
    const dir = await Deno.makeTempDir({ prefix: "apigw-tutorial-" });
    const bin = `${dir}/.bin`;
    await Deno.mkdir(bin);
    await Deno.writeTextFile(
      `${bin}/apigw`,
      `#!/bin/sh\nexec "${Deno.execPath()}" run -A --quiet "${ROOT}main.ts" "$@"\n`,
    );
    await Deno.chmod(`${bin}/apigw`, 0o755);
    if (options.kubectl !== undefined) await Deno.symlink(options.kubectl, `${bin}/kubectl`);
    return new Shell(dir, bin, options.env ?? {});
  }

  async write(name: string, text: string): Promise<void> {
    const path = `${this.dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    // Write then rename, as an editor saving the file does: a reload never sees half a file.
    await Deno.writeTextFile(`${path}.tmp`, text);
    await Deno.rename(`${path}.tmp`, path);
  }

  async run(line: string, variables: Record<string, string> = {}): Promise<Ran> {
    const output = await new Deno.Command("sh", {
      args: ["-c", line],
      cwd: this.dir,
      env: { ...this.env, ...variables },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
  }

  /** Starts `line` in the background; its output goes to `log`. */
  start(line: string, log: string): Deno.ChildProcess {
    const child = new Deno.Command("sh", {
      args: ["-c", `exec ${line} >>"${log}" 2>&1`],
      cwd: this.dir,
      env: this.env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#background.push(child);
    return child;
  }

  async [Symbol.asyncDispose]() {
    for (const child of this.#background) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    }
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** Command and expectation of one line: `cmd   # exit 1` or `cmd   # 200 401`. */
export function splitComment(line: string): { command: string; comment: string } {
  const at = line.search(/\s+#\s+[^#]*$/);
  if (at < 0) return { command: line, comment: "" };
  return { command: line.slice(0, at), comment: line.slice(at).replace(/^\s+#\s+/, "").trim() };
}

/** The HTTP statuses a curl line printed: `-i` status lines, else bare three-digit codes. */
export function statusesOf(stdout: string): number[] {
  const heads = [...stdout.matchAll(/^HTTP\/[\d.]+ (\d{3})/gm)].map((m) => Number(m[1]));
  if (heads.length > 0) return heads;
  return [...stdout.matchAll(/(?<![\w.])(\d{3})(?![\w.])/g)].map((m) => Number(m[1]));
}

/** Runs one command line and checks its exit code; `VAR=$(cmd)` lines set a variable. */
export async function runCommand(
  shell: Shell,
  line: string,
  variables: Record<string, string>,
  where: string,
): Promise<Ran> {
  const { command, comment } = splitComment(line);
  const expected = Number(/^exit (\d+)$/.exec(comment)?.[1] ?? 0);
  const assignment = /^([A-Z_]+)=\$\((.*)\)$/.exec(command);
  const ran = await shell.run(assignment?.[2] ?? command, variables);
  assert.equal(
    ran.code,
    expected,
    `${where}: \`${command}\` exited ${ran.code}\n${ran.stdout}\n${ran.stderr}`,
  );
  if (assignment !== null) variables[assignment[1]!] = ran.stdout.trim();
  return ran;
}

/** Runs a request line and compares the statuses it printed with its comment. */
export async function runRequest(
  shell: Shell,
  line: string,
  variables: Record<string, string>,
  options: { poll: boolean; where: string },
): Promise<void> {
  const { command, comment } = splitComment(line);
  if (/^[A-Z_]+=\$\(/.test(command)) {
    await runCommand(shell, line, variables, options.where);
    return;
  }
  // `# 200 200 429` or `# 403 insufficient_scope`: statuses, then words the answer must contain.
  const words = comment.split(/\s+/);
  const expected = words.filter((w) => /^\d{3}$/.test(w)).map(Number);
  const shown = words.filter((w) => !/^\d{3}$/.test(w));
  assert.ok(
    expected.length > 0 && expected.every((n) => n >= 100 && n < 600),
    `${options.where}: \`${line}\` says the statuses it expects`,
  );
  const matches = (stdout: string, got: number[]) =>
    JSON.stringify(got) === JSON.stringify(expected) && shown.every((w) => stdout.includes(w));
  const attempt = async () => {
    const ran = await shell.run(command, variables);
    return { ran, got: statusesOf(ran.stdout) };
  };
  if (!options.poll) {
    const { ran, got } = await attempt();
    assert.deepEqual(got, expected, `${options.where}: ${line}\n${ran.stdout}\n${ran.stderr}`);
    for (const word of shown) {
      assert.ok(
        ran.stdout.includes(word),
        `${options.where}: ${line} shows ${word}\n${ran.stdout}`,
      );
    }
    return;
  }
  let last = "";
  await poll(async () => {
    const { ran, got } = await attempt();
    last = `${ran.stdout}\n${ran.stderr}`;
    return matches(ran.stdout, got) || undefined;
  }, { timeoutMs: 30_000, intervalMs: 200, what: `${options.where}: ${line}` }).catch((error) => {
    throw new Error(`${error.message}\nlast answer:\n${last}`);
  });
}

/** Starts a documented `apigw serve` or `apigw authz` line; waits until its management port is ready. */
export async function startServe(shell: Shell, line: string, where: string): Promise<string> {
  const { command } = splitComment(line);
  assert.match(command, /^apigw (serve|authz)\b/, `${where}: a serve block starts apigw`);
  const management = freePort();
  const log = `${shell.dir}/.serve-${management}.log`;
  const child = shell.start(`${command} --management-listen 127.0.0.1:${management}`, log);
  const exited = new AbortController();
  child.status.then((s) => exited.abort(new Error(`apigw serve exited with ${s.code}`)));
  await poll(async () => {
    const response = await fetch(`http://127.0.0.1:${management}/readyz`);
    await response.body?.cancel();
    return response.status === 200 || undefined;
  }, {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: `${where}: apigw serve to be ready`,
    signal: exited.signal,
  }).catch(async (error) => {
    throw new Error(`${error.message}\n${await read(log)}`);
  });
  return log;
}

/** Waits until each non-empty line of a log block shows up in the log at `path`. */
export async function waitForLog(path: string, block: string[], where: string): Promise<void> {
  for (const line of block) {
    if (line.trim() === "") continue;
    await poll(async () => (await read(path)).includes(line.trim()) || undefined, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: `${where}: the log to show ${JSON.stringify(line.trim())}`,
    }).catch(async (error) => {
      throw new Error(`${error.message}\n${await read(path)}`);
    });
  }
}

async function read(path: string): Promise<string> {
  return await Deno.readTextFile(path).catch(() => "");
}

/** Asserts each non-empty line of an output block appears in `output`. */
export function assertShown(output: string, block: string[], where: string): void {
  for (const line of block) {
    if (line.trim() === "" || line.trim() === "...") continue;
    assert.ok(
      output.includes(line.trim()),
      `${where}: the output shows ${JSON.stringify(line.trim())}\n${output}`,
    );
  }
}

/** The tutorials, docs/tutorials/*.md sorted, then the install guide (its offline steps). */
export function tutorialFiles(): string[] {
  return [
    ...[...Deno.readDirSync(`${ROOT}docs/tutorials`)]
      .filter((e) => e.isFile && e.name.endsWith(".md"))
      .map((e) => `${ROOT}docs/tutorials/${e.name}`)
      .sort(),
    `${ROOT}docs/install.md`,
  ];
}
