/**
 * HPACK's Huffman decoding (RFC 7541 §5.2), four bits at a time through a state table built once
 * from the code: the states are the inner nodes of the code tree, and each (state, nibble) entry
 * holds the next state and the symbol completed on the way, if any (codes are at least 5 bits
 * long, so a nibble completes at most one). A string is refused when it holds EOS (thirty 1 bits,
 * the one path the table does not list), or ends in more than 7 bits of padding or in padding
 * that is not a prefix of EOS (all 1 bits).
 */
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./hpack_tables.ts";

const FAIL = 1 << 30;
const NO_SYMBOL = 0x1ff;

/** Inner nodes: `children[2n + bit]` is a node (>= 0), a symbol (-2 - symbol) or absent (-1). */
const children: number[] = [-1, -1];
/** Bits from the root to each inner node, and whether they are all 1 (a prefix of EOS). */
const depth: number[] = [0];
const allOnes: boolean[] = [true];
for (let symbol = 0; symbol < 256; symbol++) {
  const code = HUFFMAN_CODES[symbol]!;
  const length = HUFFMAN_LENGTHS[symbol]!;
  let node = 0;
  for (let i = length - 1; i > 0; i--) {
    const bit = (code >>> i) & 1;
    let next = children[2 * node + bit]!;
    if (next < 0) {
      next = depth.length;
      children[2 * node + bit] = next;
      children.push(-1, -1);
      depth.push(depth[node]! + 1);
      allOnes.push(allOnes[node]! && bit === 1);
    }
    node = next;
  }
  children[2 * node + (code & 1)] = -2 - symbol;
}

/** `TABLE[node * 16 + nibble]`: next node | symbol << 9 (NO_SYMBOL: none) | FAIL. */
const TABLE = new Int32Array(depth.length * 16);
for (let node = 0; node < depth.length; node++) {
  for (let nibble = 0; nibble < 16; nibble++) {
    let at = node;
    let symbol = NO_SYMBOL;
    let fail = 0;
    for (let i = 3; i >= 0; i--) {
      const next = children[2 * at + ((nibble >> i) & 1)]!;
      if (next === -1) {
        fail = FAIL;
        break;
      }
      if (next >= 0) at = next;
      else {
        symbol = -2 - next;
        at = 0;
      }
    }
    TABLE[node * 16 + nibble] = at | (symbol << 9) | fail;
  }
}

const scratch = new Uint16Array(64 * 1024);

/**
 * Decodes `bytes[start, end)`; undefined when the encoding is invalid (the caller's
 * COMPRESSION_ERROR). The input is at most a header block, so the output fits the scratch space.
 */
export function decodeHuffman(bytes: Uint8Array, start: number, end: number): string | undefined {
  if ((end - start) * 8 / 5 > scratch.length) return undefined;
  let node = 0;
  let out = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    let entry = TABLE[node * 16 + (byte >> 4)]!;
    if (entry & FAIL) return undefined;
    let symbol = (entry >> 9) & NO_SYMBOL;
    if (symbol !== NO_SYMBOL) scratch[out++] = symbol;
    node = entry & 0x1ff;
    entry = TABLE[node * 16 + (byte & 15)]!;
    if (entry & FAIL) return undefined;
    symbol = (entry >> 9) & NO_SYMBOL;
    if (symbol !== NO_SYMBOL) scratch[out++] = symbol;
    node = entry & 0x1ff;
  }
  if (node !== 0 && !(allOnes[node] && depth[node]! <= 7)) return undefined;
  return fromCodes(scratch, out);
}

/** A string of `codes[offset, offset + length)` (latin1 for bytes), in bounded chunks. */
export function fromCodes(codes: Uint16Array | Uint8Array, length: number, offset = 0): string {
  let text = "";
  for (let i = 0; i < length; i += 4096) {
    const stop = Math.min(length, i + 4096);
    text += Reflect.apply(String.fromCharCode, null, codes.subarray(offset + i, offset + stop));
  }
  return text;
}
