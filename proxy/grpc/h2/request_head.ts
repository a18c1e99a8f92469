/**
 * A request's header section as HPACK hands it over, checked field by field against RFC 9113
 * §8.2–8.3: lowercase token names, values without NUL/CR/LF or surrounding whitespace, the four
 * request pseudo-headers once each and before the regular fields, no connection-specific fields,
 * `te` only `trailers`. A malformed section is the stream's PROTOCOL_ERROR; one over the header
 * list limit (RFC 7541 §4.1 sizes) stops being stored but is still decoded, so the connection's
 * HPACK table stays in step.
 */
import { ENTRY_OVERHEAD } from "./hpack_decoder.ts";

/** A request's pseudo-headers and regular fields (duplicates joined with ", "). */
export interface RequestHead {
  method: string;
  scheme: string;
  path: string;
  authority: string | undefined;
  fields: Map<string, string>;
}

/** Lowercase `tchar`s (RFC 9110 §5.6.2): what a field name may hold. */
const NAME_CHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") {
  NAME_CHAR[c.charCodeAt(0)] = 1;
}
const CONNECTION_SPECIFIC = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
]);

/** Collects one header section (`trailers`: no pseudo-headers allowed) under a size limit. */
export class HeadCollector {
  malformed = false;
  tooLarge = false;
  #size = 0;
  #regular = false;
  #method: string | undefined;
  #scheme: string | undefined;
  #path: string | undefined;
  #authority: string | undefined;
  readonly fields = new Map<string, string>();
  readonly #limit: number;
  readonly #trailers: boolean;

  constructor(limit: number, trailers: boolean) {
    this.#limit = limit;
    this.#trailers = trailers;
  }

  /** Takes one decoded field (bound: `collector.add.bind(collector)` or an arrow). */
  add(name: string, value: string) {
    this.#size += name.length + value.length + ENTRY_OVERHEAD;
    if (this.#size > this.#limit) this.tooLarge = true;
    if (this.malformed || this.tooLarge) return;
    if (!validValue(value) || name.length === 0) {
      this.malformed = true;
      return;
    }
    if (name.charCodeAt(0) === 0x3a) {
      this.#pseudo(name, value);
      return;
    }
    this.#regular = true;
    if (
      !validName(name) || CONNECTION_SPECIFIC.has(name) || (name === "te" && value !== "trailers")
    ) {
      this.malformed = true;
      return;
    }
    const before = this.fields.get(name);
    this.fields.set(name, before === undefined ? value : `${before}, ${value}`);
  }

  #pseudo(name: string, value: string) {
    if (this.#trailers || this.#regular) {
      this.malformed = true;
      return;
    }
    switch (name) {
      case ":method":
        if (this.#method !== undefined || value === "") this.malformed = true;
        this.#method = value;
        break;
      case ":scheme":
        if (this.#scheme !== undefined || value === "") this.malformed = true;
        this.#scheme = value;
        break;
      case ":path":
        if (this.#path !== undefined || value === "") this.malformed = true;
        this.#path = value;
        break;
      case ":authority":
        if (this.#authority !== undefined) this.malformed = true;
        this.#authority = value;
        break;
      default:
        this.malformed = true;
    }
  }

  /** The request head, or undefined when the section was malformed or lacked a pseudo-header. */
  head(): RequestHead | undefined {
    if (this.malformed || this.tooLarge) return undefined;
    if (this.#method === undefined || this.#scheme === undefined || this.#path === undefined) {
      return undefined;
    }
    return {
      method: this.#method,
      scheme: this.#scheme,
      path: this.#path,
      authority: this.#authority,
      fields: this.fields,
    };
  }
}

function validName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    if (NAME_CHAR[name.charCodeAt(i)] !== 1) return false;
  }
  return true;
}

/** No NUL, CR or LF, and no leading or trailing space or tab (RFC 9113 §8.2.1). */
function validValue(value: string): boolean {
  const last = value.length - 1;
  if (last >= 0) {
    const first = value.charCodeAt(0), end = value.charCodeAt(last);
    if (first === 0x20 || first === 0x09 || end === 0x20 || end === 0x09) return false;
  }
  for (let i = 0; i <= last; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return false;
  }
  return true;
}
