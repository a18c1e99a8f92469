/** Runs `deno test` as a child, streaming its output, and reads back what it reported. */
import { failedInDenoOutput, summarizeJunit, type Summary } from "./summary.ts";

export interface DenoTestRun {
  /** Kills the run, e.g. on SIGTERM. */
  kill(): void;
  /** The counts, once `deno test` has exited. */
  readonly result: Promise<{ summary: Summary; exitCode: number }>;
}

/** Starts `deno test -A --junit-path=<junitPath> ...args` in `cwd` with `env` added. */
export function runDenoTest(
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; junitPath: string },
): DenoTestRun {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", `--junit-path=${options.junitPath}`, ...args],
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  return {
    kill: () => child.kill("SIGTERM"),
    result: (async () => {
      const tail = await tee(child.stdout);
      const { code } = await child.status;
      return { summary: await readSummary(options.junitPath, tail, code), exitCode: code };
    })(),
  };
}

/** Counts from the JUnit file, corrected by what JUnit leaves out (files that failed to load). */
async function readSummary(junitPath: string, output: string, code: number): Promise<Summary> {
  let summary: Summary;
  try {
    summary = summarizeJunit(await Deno.readTextFile(junitPath));
  } catch {
    console.error(`deno test exited with ${code} and wrote no JUnit report to ${junitPath}`);
    return { passed: 0, failed: 1, skipped: 0 };
  }
  summary.failed = Math.max(summary.failed, failedInDenoOutput(output) ?? 0);
  if (code !== 0 && summary.failed === 0) {
    console.error(`deno test exited with ${code} although no test failed: counting 1 failure`);
    summary.failed = 1;
  }
  return summary;
}

/** Copies `stream` to stdout and returns its last 16 KiB of text. */
async function tee(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let tail = "";
  for await (const chunk of stream) {
    let written = 0;
    while (written < chunk.length) written += await Deno.stdout.write(chunk.subarray(written));
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-16_384);
  }
  return tail;
}
