/**
 * The header block of a request as HEADERS and CONTINUATION frames carry it (RFC 9113 §6.2,
 * §6.10): where the fragment lies in a HEADERS payload (padding and priority removed), and a
 * block assembled from fragments under a byte cap and a frame cap, the bounds that stop a
 * CONTINUATION flood (the connection answers a refusal with GOAWAY, as the block cannot be
 * skipped without losing the HPACK table's state).
 */
import { ERROR, FLAG, readWord } from "./frames.ts";

/** Fragments per block: a real client needs one or two frames for a 32 KiB block. */
const MAX_FRAGMENTS = 64;

export type Fragment =
  | { ok: true; from: number; to: number; selfDependent: boolean }
  | { ok: false; code: number; reason: string };

/** The fragment of a HEADERS payload on stream `id`. */
export function headersFragment(flags: number, id: number, payload: Uint8Array): Fragment {
  let from = 0;
  let to = payload.length;
  if (flags & FLAG.PADDED) {
    if (payload.length < 1 || payload[0]! >= payload.length) {
      return { ok: false, code: ERROR.PROTOCOL_ERROR, reason: "bad padding" };
    }
    from = 1;
    to -= payload[0]!;
  }
  let selfDependent = false;
  if (flags & FLAG.PRIORITY) {
    if (to - from < 5) {
      return { ok: false, code: ERROR.FRAME_SIZE_ERROR, reason: "HEADERS too short" };
    }
    selfDependent = (readWord(payload, from) & 0x7fffffff) === id;
    from += 5;
  }
  return { ok: true, from, to, selfDependent };
}

/** A header block arriving in several frames. */
export class HeaderBlock {
  /** The stream whose block is open (0: none; any other frame is then a PROTOCOL_ERROR). */
  stream = 0;
  /** The HEADERS frame's flags (END_STREAM counts once the block ends). */
  flags = 0;
  #parts: Uint8Array[] = [];
  #bytes = 0;
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Opens a block with the HEADERS fragment (copied); false when it is already over the cap. */
  start(stream: number, flags: number, fragment: Uint8Array): boolean {
    this.stream = stream;
    this.flags = flags;
    this.#parts = [];
    this.#bytes = 0;
    return this.add(fragment);
  }

  /** Adds a CONTINUATION fragment (copied); false when the block exceeds its caps. */
  add(fragment: Uint8Array): boolean {
    this.#parts.push(fragment.slice());
    this.#bytes += fragment.length;
    return this.#bytes <= this.#maxBytes && this.#parts.length <= MAX_FRAGMENTS;
  }

  /** The whole block; the assembler is free again. */
  finish(): Uint8Array {
    const block = new Uint8Array(this.#bytes);
    let at = 0;
    for (const part of this.#parts) {
      block.set(part, at);
      at += part.length;
    }
    this.stream = 0;
    this.#parts = [];
    this.#bytes = 0;
    return block;
  }
}
