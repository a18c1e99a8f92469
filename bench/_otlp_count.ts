/**
 * What an OTLP/HTTP protobuf sink receives, counted without a protobuf library: exports and
 * bytes per path (`/v1/traces`, `/v1/metrics`, `/v1/logs`), spans per scope and name, metrics
 * per name, log records. Only the few fields counted are read (opentelemetry-proto 1.x):
 * `Export*ServiceRequest.resource_* = 1`, `Resource*.scope_* = 2`, `Scope*.{spans,metrics,
 * log_records} = 2`, `Scope*.scope = 1` (`InstrumentationScope.name = 1`), `Span.name = 5`,
 * `Metric.name = 1`.
 */

export interface OtlpCounts {
  /** Per URL path: exports received and their bytes. */
  paths: Record<string, { exports: number; bytes: number }>;
  /** `scope name/span name` → spans. */
  spans: Record<string, number>;
  /** Metric name → times it was in an export. */
  metrics: Record<string, number>;
  logRecords: number;
}

export function emptyCounts(): OtlpCounts {
  return { paths: {}, spans: {}, metrics: {}, logRecords: 0 };
}

/** Adds one export (`path`, protobuf `body`) to `counts`. */
export function countExport(counts: OtlpCounts, path: string, body: Uint8Array): void {
  const entry = counts.paths[path] ??= { exports: 0, bytes: 0 };
  entry.exports++;
  entry.bytes += body.byteLength;
  for (const resource of messages(body, 1)) {
    for (const scoped of messages(resource, 2)) {
      const scopeMessage = messages(scoped, 1)[0];
      const scope = scopeMessage !== undefined ? text(scopeMessage, 1) : "";
      for (const item of messages(scoped, 2)) {
        if (path.endsWith("/traces")) {
          const key = `${scope}/${text(item, 5)}`;
          counts.spans[key] = (counts.spans[key] ?? 0) + 1;
        } else if (path.endsWith("/metrics")) {
          const name = text(item, 1);
          counts.metrics[name] = (counts.metrics[name] ?? 0) + 1;
        } else if (path.endsWith("/logs")) {
          counts.logRecords++;
        }
      }
    }
  }
}

/** The length-delimited values of field `field` in `message`. */
function messages(message: Uint8Array, field: number): Uint8Array[] {
  const found: Uint8Array[] = [];
  let at = 0;
  while (at < message.length) {
    let key: number;
    [key, at] = varint(message, at);
    const wire = key & 7;
    if (wire === 0) [, at] = varint(message, at);
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      let length: number;
      [length, at] = varint(message, at);
      if ((key >>> 3) === field) found.push(message.subarray(at, at + length));
      at += length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return found;
}

function text(message: Uint8Array, field: number): string {
  const value = messages(message, field)[0];
  return value === undefined ? "" : new TextDecoder().decode(value);
}

function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = bytes[at++];
    if (byte === undefined) throw new Error("truncated protobuf varint");
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, at];
    scale *= 128;
  }
}
