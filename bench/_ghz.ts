/** ghz (benchmark-only peer, `~/.cache/apigw-bench/ghz`) runs and their table rows, for the gRPC benches. */

interface GhzCommon {
  bin: string;
  call: string;
  data: string;
  concurrency: string;
  duration: string;
  address: string;
}

/** One run: the messages from a compiled `protoset` or from a `.proto` file. */
export type GhzRun = GhzCommon & ({ protoset: string } | { proto: string });

/** One ghz run over 4 connections; its JSON report. */
export async function runGhz(run: GhzRun): Promise<Record<string, unknown>> {
  const output = await new Deno.Command(`${run.bin}/ghz`, {
    args: [
      "--insecure",
      ...("protoset" in run ? ["--protoset", run.protoset] : ["--proto", run.proto]),
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

/** The latency at percentile `q` (10, 25, 50, 75, 90, 95, 99) of a ghz report, as `1.23 ms`. */
export function ghzLatency(report: Record<string, unknown>, q: number): string {
  const latencies = Array.isArray(report.latencyDistribution) ? report.latencyDistribution : [];
  const found = latencies.find((d) => Reflect.get(Object(d), "percentage") === q);
  return `${(Number(Reflect.get(Object(found), "latency") ?? 0) / 1e6).toFixed(2)} ms`;
}

/** `| name | calls/s | p50 | p99 | codes |` from a ghz report. */
export function ghzRow(name: string, report: Record<string, unknown>): string {
  return `| ${name} | ${Math.round(Number(report.rps))} | ${ghzLatency(report, 50)} | ${
    ghzLatency(report, 99)
  } | ${JSON.stringify(report.statusCodeDistribution ?? {})} |`;
}
