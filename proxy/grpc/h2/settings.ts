/**
 * A client's SETTINGS frame (RFC 9113 §6.5): the values the server acts on, each checked against
 * its range (a value out of range is a connection error of the code the RFC names). Unknown
 * settings are ignored; SETTINGS_HEADER_TABLE_SIZE does not matter to an encoder that never
 * indexes, SETTINGS_MAX_CONCURRENT_STREAMS not to a server that never pushes.
 */
import {
  DEFAULT_MAX_FRAME_SIZE,
  ERROR,
  MAX_MAX_FRAME_SIZE,
  MAX_WINDOW,
  readWord,
  SETTING,
} from "./frames.ts";

/** The settings the server acts on; absent ones keep their value. */
export interface PeerSettings {
  initialWindowSize?: number;
  maxFrameSize?: number;
}

export type ParsedSettings =
  | { ok: true; value: PeerSettings }
  | { ok: false; code: number; reason: string };

/** The settings of a non-ACK SETTINGS payload (its length already a multiple of 6). */
export function parseSettings(payload: Uint8Array): ParsedSettings {
  const value: PeerSettings = {};
  for (let at = 0; at < payload.length; at += 6) {
    const setting = (payload[at]! << 8) | payload[at + 1]!;
    const n = readWord(payload, at + 2);
    if (setting === SETTING.ENABLE_PUSH && n > 1) {
      return { ok: false, code: ERROR.PROTOCOL_ERROR, reason: "invalid SETTINGS_ENABLE_PUSH" };
    }
    if (setting === SETTING.INITIAL_WINDOW_SIZE) {
      if (n > MAX_WINDOW) {
        return { ok: false, code: ERROR.FLOW_CONTROL_ERROR, reason: "window too large" };
      }
      value.initialWindowSize = n;
    }
    if (setting === SETTING.MAX_FRAME_SIZE) {
      if (n < DEFAULT_MAX_FRAME_SIZE || n > MAX_MAX_FRAME_SIZE) {
        return { ok: false, code: ERROR.PROTOCOL_ERROR, reason: "invalid SETTINGS_MAX_FRAME_SIZE" };
      }
      value.maxFrameSize = n;
    }
  }
  return { ok: true, value };
}
