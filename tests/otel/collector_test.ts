/**
 * Spans reach a real OpenTelemetry Collector (tests/otel/build.ts: OTLP receiver + file
 * exporter). `apigw authz` runs as its own process with `OTEL_DENO=true`, so Deno's own SDK
 * exports (OTLP/HTTP protobuf, Deno's default). The checks carry the caller's context: a W3C
 * `traceparent` (Deno's server span continues it, apigw's check span nests under that) or
 * Envoy's B3 headers (apigw continues them itself). The test reads the collector's file and
 * finds the spans of an allowed and a denied check with their reasons under the caller's trace
 * id, nothing for an unsampled caller, and no exported log records (log export is off).
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { apiRule, GATEWAY } from "../../core/authz/_testing.ts";
import { poll } from "../poll.ts";
import { http1 } from "../authz/http1.ts";
import { cachedCollector } from "./build.ts";

const collector = await cachedCollector();
const HOST = "orders.local.kyma.dev";
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
  links?: { traceId: string; spanId: string }[];
}

Deno.test({
  name: "a real collector receives the check spans under the caller's trace",
  ignore: collector === undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "apigw-otel-" });
    await using stack = new AsyncDisposableStack();
    stack.defer(() => Deno.remove(dir, { recursive: true }));
    const port = freePort();
    await Deno.writeTextFile(`${dir}/collector.yaml`, collectorConfig(port, dir));
    const otelcol = new Deno.Command(collector!, {
      args: ["--config", `file:${dir}/collector.yaml`],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    stack.defer(async () => {
      otelcol.kill("SIGTERM");
      await otelcol.output();
    });
    await poll(async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return true;
    }, { what: "the collector to listen", timeoutMs: 30_000 });

    await Deno.mkdir(`${dir}/rules`);
    await Deno.writeTextFile(
      `${dir}/rules/rules.yaml`,
      [
        GATEWAY,
        apiRule("orders", [
          { path: "/public", noAuth: true },
          {
            path: "/admin",
            jwt: { authentications: [{ issuer: "https://idp", jwksUri: "https://idp/jwks" }] },
          },
        ]),
      ].map((o) => stringify(o)).join("---\n"),
    );
    const authz = await startAuthz(dir, port);
    stack.defer(async () => {
      await authz.stop();
    });

    const allowed = ids();
    const denied = ids();
    const b3 = ids();
    const unsampled = ids();
    const checks: [string, Record<string, string>, number][] = [
      ["/public", { traceparent: `00-${allowed.trace}-${allowed.span}-01` }, 200],
      ["/admin", { traceparent: `00-${denied.trace}-${denied.span}-01` }, 401],
      ["/public", {
        "x-b3-traceid": b3.trace,
        "x-b3-spanid": b3.span,
        "x-b3-sampled": "1",
      }, 200],
      ["/public", { traceparent: `00-${unsampled.trace}-${unsampled.span}-00` }, 200],
    ];
    await poll(
      async () => (await http1(authz.managementUrl, "/readyz")).status === 200 || undefined,
      { what: "/readyz" },
    );
    for (const [path, headers, status] of checks) {
      const response = await http1(authz.url, path, { headers: { host: HOST, ...headers } });
      assert.equal(response.status, status, path);
    }
    // Deno flushes its exporter when the process ends.
    assert.equal(await authz.stop(), 0);

    const spans = await poll(async () => {
      const found = await readSpans(`${dir}/traces.jsonl`);
      const wanted = [allowed, denied, b3].every((ids) =>
        found.some((s) => s.traceId === ids.trace && s.name === "apigw.authz.check")
      );
      return wanted ? found : undefined;
    }, { what: "the check spans in the collector's file", timeoutMs: 20_000 });

    const check = (trace: string) => {
      const matching = spans.filter((s) => s.traceId === trace && s.name === "apigw.authz.check");
      assert.equal(matching.length, 1, `one check span in ${trace}`);
      return matching[0]!;
    };
    const allowedCheck = check(allowed.trace);
    assert.equal(attribute(allowedCheck, "apigw.decision"), "allow");
    assert.equal(attribute(allowedCheck, "apigw.reason"), "no_auth");
    assert.equal(attribute(allowedCheck, "apigw.rule"), "default/orders#0");
    // apigw's span nests under Deno's server span, which continues the caller's span.
    const server = spans.find((s) => s.spanId === allowedCheck.parentSpanId);
    assert.ok(server !== undefined, "Deno's server span is exported");
    assert.equal(server.traceId, allowed.trace);
    assert.equal(server.parentSpanId, allowed.span);

    const deniedCheck = check(denied.trace);
    assert.equal(attribute(deniedCheck, "apigw.decision"), "deny");
    assert.equal(attribute(deniedCheck, "apigw.reason"), "missing_token");
    assert.equal(attribute(deniedCheck, "apigw.step"), "authenticate");
    assert.equal(attribute(deniedCheck, "apigw.rule"), "default/orders#1");

    const b3Check = check(b3.trace);
    assert.equal(b3Check.parentSpanId, b3.span);
    assert.equal(attribute(b3Check, "apigw.reason"), "no_auth");
    assert.equal(b3Check.links?.length, 1, "linked to Deno's server span");

    assert.equal(spans.filter((s) => s.traceId === unsampled.trace).length, 0);
    assert.equal(await countLogRecords(`${dir}/logs.jsonl`), 0);
  },
});

function collectorConfig(port: number, dir: string): string {
  return stringify({
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${port}` } } } },
    exporters: {
      "file/traces": { path: `${dir}/traces.jsonl`, flush_interval: "100ms" },
      "file/logs": { path: `${dir}/logs.jsonl`, flush_interval: "100ms" },
    },
    service: {
      pipelines: {
        traces: { receivers: ["otlp"], exporters: ["file/traces"] },
        logs: { receivers: ["otlp"], exporters: ["file/logs"] },
      },
    },
  });
}

interface Authz {
  url: string;
  managementUrl: string;
  stop(): Promise<number>;
}

/** `apigw authz` as its own process, exporting to the collector. */
async function startAuthz(dir: string, port: number): Promise<Authz> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "authz",
      "--config",
      `${dir}/rules`,
      "--listen",
      "127.0.0.1:0",
      "--management-listen",
      "127.0.0.1:0",
    ],
    env: {
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_SERVICE_NAME: "apigw-authz",
      // Deno's default sampler is always_on (it ignores the caller's flag); the standard
      // variable makes it parent-based, as apigw's own spans are.
      OTEL_TRACES_SAMPLER: "parentbased_always_on",
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const reading = (async () => {
    let rest = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop()!;
      lines.push(...parts);
    }
  })();
  let stopped: Promise<number> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const status = await child.status;
      await reading;
      return status.code;
    })();
    return stopped;
  };
  try {
    const serving = await poll(() => {
      for (const line of lines) {
        const entry = JSON.parse(line);
        if (entry.msg === "Serving ext_authz") {
          return entry as { listen: string; management: string };
        }
      }
      return undefined;
    }, { what: "apigw authz to listen", timeoutMs: 30_000 });
    return {
      url: `http://${serving.listen}`,
      managementUrl: `http://${serving.management}`,
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`apigw authz did not start:\n${lines.join("\n")}`, { cause: error });
  }
}

async function readSpans(path: string): Promise<OtlpSpan[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return [];
  }
  const spans: OtlpSpan[] = [];
  for (const line of text.split("\n").filter(Boolean)) {
    for (const resource of JSON.parse(line).resourceSpans ?? []) {
      for (const scope of resource.scopeSpans ?? []) spans.push(...(scope.spans ?? []));
    }
  }
  return spans;
}

async function countLogRecords(path: string): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return 0;
  }
  let count = 0;
  for (const line of text.split("\n").filter(Boolean)) {
    for (const resource of JSON.parse(line).resourceLogs ?? []) {
      for (const scope of resource.scopeLogs ?? []) count += scope.logRecords?.length ?? 0;
    }
  }
  return count;
}

function attribute(span: OtlpSpan, key: string): unknown {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
}

function ids(): { trace: string; span: string } {
  const hex = (bytes: number) =>
    Array.from(
      crypto.getRandomValues(new Uint8Array(bytes)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
  return { trace: hex(16), span: hex(8) };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}
