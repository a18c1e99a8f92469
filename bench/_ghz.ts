/** ghz (benchmark-only peer, `~/.cache/apigw-bench/ghz`) runs and their table rows, for the gRPC benches. */

export interface GhzRun {
  bin: string;
  protoset: string;
  call: string;
  data: string;
  concurrency: string;
  duration: string;
  address: string;
}

/** One ghz run over 4 connections; its JSON report. */
export async function runGhz(run: GhzRun): Promise<Record<string, unknown>> {
  const output = await new Deno.Command(`${run.bin}/ghz`, {
    args: [
      "--insecure",
      "--protoset",
      run.protoset,
      "--call",
      run.call,
      "-d",
      run.data,
      "-c",
      run.concurrency,
      "-z",
      `${run.duration}s`,
      "--connections",
      "4",
      "-O",
      "json",
      run.address,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

/** `| name | calls/s | p50 | p99 | codes |` from a ghz report. */
export function ghzRow(name: string, report: Record<string, unknown>): string {
  const latencies = Array.isArray(report.latencyDistribution) ? report.latencyDistribution : [];
  const at = (q: number) => {
    const found = latencies.find((d) => Reflect.get(Object(d), "percentage") === q);
    return `${(Number(Reflect.get(Object(found), "latency") ?? 0) / 1e6).toFixed(2)} ms`;
  };
  return `| ${name} | ${Math.round(Number(report.rps))} | ${at(50)} | ${at(99)} | ${
    JSON.stringify(report.statusCodeDistribution ?? {})
  } |`;
}
