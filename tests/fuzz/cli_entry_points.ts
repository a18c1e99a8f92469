/**
 * The offline commands themselves, in process, on the input set written to a file: what a user
 * runs (`apigw render -f`, `validate`, `convert`, `explain`), flags, reading and output included.
 * Slower than `entry_points.ts`, so the campaign runs them on every n-th set. A command that
 * throws, or prints a JavaScript stack, is a failure.
 */
import { runCli } from "../../cli/mod.ts";

export interface CliEntryPoint {
  name: string;
  args(file: string, hosts: readonly string[]): string[];
}

export const CLI_ENTRY_POINTS: readonly CliEntryPoint[] = [
  { name: "cli render", args: (f) => ["render", "-f", f, "--now", "2026-01-01T00:00:00Z"] },
  { name: "cli render -o json", args: (f) => ["render", "-f", f, "-o", "json"] },
  { name: "cli validate", args: (f) => ["validate", "-f", f] },
  { name: "cli validate --complete", args: (f) => ["validate", "-f", f, "--complete"] },
  { name: "cli convert v1beta1", args: (f) => ["convert", "-f", f, "--to", "v1beta1"] },
  { name: "cli convert v2", args: (f) => ["convert", "-f", f, "--to", "v2", "-o", "json"] },
  {
    // No token: explain decides without fetching any JWKS (tokens would be verified online).
    name: "cli explain",
    args: (f, hosts) => ["explain", "-f", f, "--request", `GET https://${hosts[0] ?? "x.test"}/a`],
  },
];

/** Runs `entry` on `file`; the error text when it threw or printed a stack, else undefined. */
export async function runCliEntry(
  entry: CliEntryPoint,
  file: string,
  hosts: readonly string[],
): Promise<string | undefined> {
  let output = "";
  try {
    await runCli(entry.args(file, hosts), {
      stdout: (t) => output += t.length > 4096 ? t.slice(0, 4096) : t,
      stderr: (t) => output += t.length > 4096 ? t.slice(0, 4096) : t,
      env: () => undefined,
      signal: new AbortController().signal,
    });
  } catch (error) {
    return error instanceof Error
      ? `${error.name}: ${error.message}\n${error.stack}`
      : String(error);
  }
  const stack = /(TypeError|RangeError|ReferenceError|SyntaxError)[^\n]*\n\s+at /.exec(output);
  return stack === null
    ? undefined
    : `printed a stack: ${output.slice(stack.index, stack.index + 500)}`;
}

/** The hosts the set's APIRules name, for explain's request line. */
export function hostsOf(objects: readonly unknown[]): string[] {
  const hosts: string[] = [];
  for (const o of objects) {
    if (typeof o !== "object" || o === null || !("spec" in o)) continue;
    const spec = o.spec;
    if (typeof spec !== "object" || spec === null) continue;
    if ("hosts" in spec && Array.isArray(spec.hosts)) {
      hosts.push(...spec.hosts.filter((h): h is string => typeof h === "string"));
    }
    if ("host" in spec && typeof spec.host === "string") hosts.push(spec.host);
  }
  // Only hosts that fit a request line; others would be explain's own usage error.
  return hosts.filter((h) => /^[A-Za-z0-9*.-]{1,253}$/.test(h)).map((h) =>
    h.replace(/^\*\./, "x.")
  );
}
