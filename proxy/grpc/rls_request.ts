/**
 * The boundary of the rate limit service: a `RateLimitRequest` as @grpc/proto-loader decodes it
 * (field names as in the .proto, enums as names, 64-bit integers as numbers) becomes an
 * `RlsRequest`, or a problem naming the field.
 */
import { type RlsUnit, UNIT_SECONDS } from "../rls/config.ts";
import type { RlsRequest } from "../rls/service.ts";

export type ParsedRequest = { ok: true; value: RlsRequest } | { ok: false; error: string };

type Descriptor = RlsRequest["descriptors"][number];

/** Checks the decoded message's shape field by field. */
export function parseRlsRequest(raw: unknown): ParsedRequest {
  if (!isRecord(raw)) return { ok: false, error: "request is not a message" };
  const domain = raw.domain ?? "";
  if (typeof domain !== "string") return { ok: false, error: "domain must be a string" };
  const hitsAddend = raw.hits_addend ?? 0;
  if (!isCount(hitsAddend)) return { ok: false, error: "hits_addend must be a uint32" };
  const descriptors: Descriptor[] = [];
  for (const [i, item] of (Array.isArray(raw.descriptors) ? raw.descriptors : []).entries()) {
    const parsed = descriptorOf(item);
    if (typeof parsed === "string") {
      return { ok: false, error: `descriptors[${i}]: ${parsed}` };
    }
    descriptors.push(parsed);
  }
  return { ok: true, value: { domain, descriptors, hitsAddend } };
}

function descriptorOf(raw: unknown): Descriptor | string {
  if (!isRecord(raw)) return "is not a message";
  const entries = [];
  for (const [i, entry] of (Array.isArray(raw.entries) ? raw.entries : []).entries()) {
    if (!isRecord(entry) || typeof entry.key !== "string" || typeof entry.value !== "string") {
      return `entries[${i}] must have a string key and value`;
    }
    entries.push({ key: entry.key, value: entry.value });
  }
  let descriptor: Descriptor = { entries };
  if (isRecord(raw.limit)) {
    const unit = raw.limit.unit;
    const perUnit = raw.limit.requests_per_unit ?? 0;
    if (typeof unit !== "string" || !isUnit(unit)) return "limit.unit must be a known unit";
    if (!isCount(perUnit)) return "limit.requests_per_unit must be a uint32";
    descriptor = { ...descriptor, limit: { unit, requestsPerUnit: perUnit } };
  }
  if (isRecord(raw.hits_addend)) {
    const value = Number(raw.hits_addend.value ?? 0);
    if (!Number.isSafeInteger(value) || value < 0) return "hits_addend.value must be a uint64";
    descriptor = { ...descriptor, hitsAddend: value };
  }
  return descriptor;
}

function isUnit(text: string): text is RlsUnit {
  return Object.hasOwn(UNIT_SECONDS, text);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 &&
    value <= 4_294_967_295;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
