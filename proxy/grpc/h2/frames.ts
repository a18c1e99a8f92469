/**
 * HTTP/2 frame constants (RFC 9113 §6, §7, §11) and the frame writer: every frame the server
 * sends goes through `frame()` into the connection's batch, written once per read or per tick.
 */

export const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
export const FRAME_HEADER_BYTES = 9;

/** Frame types (RFC 9113 §6). */
export const TYPE = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;

/** Frame flags; END_STREAM and ACK share a bit on different frame types. */
export const FLAG = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Error codes of RST_STREAM and GOAWAY (RFC 9113 §7). */
export const ERROR = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

/** SETTINGS identifiers (RFC 9113 §6.5.2). */
export const SETTING = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** The largest flow-control window (RFC 9113 §6.9.1). */
export const MAX_WINDOW = 2 ** 31 - 1;
/** Windows and frame size before SETTINGS say otherwise (RFC 9113 §6.5.2). */
export const DEFAULT_WINDOW = 65_535;
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
export const MAX_MAX_FRAME_SIZE = 2 ** 24 - 1;

/** One frame: its 9-byte header and payload in a new array. */
export function frame(
  type: number,
  flags: number,
  stream: number,
  payload?: Uint8Array,
): Uint8Array {
  const length = payload?.byteLength ?? 0;
  const out = new Uint8Array(FRAME_HEADER_BYTES + length);
  out[0] = length >>> 16;
  out[1] = length >>> 8;
  out[2] = length;
  out[3] = type;
  out[4] = flags;
  out[5] = (stream >>> 24) & 0x7f;
  out[6] = stream >>> 16;
  out[7] = stream >>> 8;
  out[8] = stream;
  if (payload !== undefined) out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Writes a frame into `out` at `at`; the offset after it. */
export function frameInto(
  out: Uint8Array,
  at: number,
  type: number,
  flags: number,
  stream: number,
  payload: Uint8Array,
): number {
  const length = payload.byteLength;
  out[at] = length >>> 16;
  out[at + 1] = length >>> 8;
  out[at + 2] = length;
  out[at + 3] = type;
  out[at + 4] = flags;
  out[at + 5] = (stream >>> 24) & 0x7f;
  out[at + 6] = stream >>> 16;
  out[at + 7] = stream >>> 8;
  out[at + 8] = stream;
  out.set(payload, at + FRAME_HEADER_BYTES);
  return at + FRAME_HEADER_BYTES + length;
}

/** A frame whose payload is 32-bit words (RST_STREAM, WINDOW_UPDATE, GOAWAY, SETTINGS pairs). */
export function wordsFrame(type: number, flags: number, stream: number, words: number[]) {
  const payload = new Uint8Array(words.length * 4);
  const view = new DataView(payload.buffer);
  words.forEach((word, i) => view.setUint32(i * 4, word));
  return frame(type, flags, stream, payload);
}

/** SETTINGS with (identifier, value) pairs. */
export function settingsFrame(settings: readonly (readonly [number, number])[]): Uint8Array {
  const payload = new Uint8Array(settings.length * 6);
  const view = new DataView(payload.buffer);
  settings.forEach(([id, value], i) => {
    view.setUint16(i * 6, id);
    view.setUint32(i * 6 + 2, value);
  });
  return frame(TYPE.SETTINGS, 0, 0, payload);
}

/** GOAWAY with the reason as its debug data (RFC 9113 §6.8). */
export function goaway(lastStreamId: number, code: number, reason: string): Uint8Array {
  const debug = new TextEncoder().encode(reason);
  const payload = new Uint8Array(8 + debug.length);
  const view = new DataView(payload.buffer);
  view.setUint32(0, lastStreamId);
  view.setUint32(4, code);
  payload.set(debug, 8);
  return frame(TYPE.GOAWAY, 0, 0, payload);
}

/** A big-endian 32-bit word. */
export function readWord(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>>
    0;
}
