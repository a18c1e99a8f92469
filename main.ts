/**
 * apigw entry point: wiring only. Hands the arguments, the environment and a shutdown signal to
 * the CLI dispatcher and exits with its code.
 */
import { runCli } from "./cli/mod.ts";

if (import.meta.main) {
  const shutdown = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => shutdown.abort(new Error(`Received ${signal}`)));
  }
  const encoder = new TextEncoder();
  const code = await runCli(Deno.args, {
    stdout: (text) => writeAll(Deno.stdout, encoder.encode(text)),
    stderr: (text) => writeAll(Deno.stderr, encoder.encode(text)),
    env: (name) => Deno.env.get(name),
    signal: shutdown.signal,
  });
  Deno.exit(code);
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += stream.writeSync(bytes.subarray(offset));
}
