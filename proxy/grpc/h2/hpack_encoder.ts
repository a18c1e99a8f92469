/**
 * The HPACK encoding of the server's response headers and trailers (RFC 7541): a static-table
 * index where the whole field is there (`:status: 200`), else a literal without indexing (with
 * the static table's name index where it has the name), no Huffman. The encoder never adds to
 * the peer's dynamic table, so the peer's SETTINGS_HEADER_TABLE_SIZE never matters to it.
 */
import { STATIC_TABLE } from "./hpack_tables.ts";

const NAME_INDEX = new Map<string, number>();
const FIELD_INDEX = new Map<string, number>();
STATIC_TABLE.forEach(([name, value], i) => {
  if (!NAME_INDEX.has(name)) NAME_INDEX.set(name, i + 1);
  FIELD_INDEX.set(`${name}\0${value}`, i + 1);
});

/** Encodes fields (lowercase names, printable ASCII values) into one header block. */
export function encodeHeaders(fields: readonly (readonly [string, string])[]): Uint8Array {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const index = FIELD_INDEX.get(`${name}\0${value}`);
    if (index !== undefined) {
      integer(out, 0x80, 7, index);
      continue;
    }
    const nameIndex = NAME_INDEX.get(name);
    if (nameIndex !== undefined) integer(out, 0x00, 4, nameIndex);
    else {
      out.push(0x00);
      string(out, name);
    }
    string(out, value);
  }
  return Uint8Array.from(out);
}

function integer(out: number[], first: number, prefix: number, value: number) {
  const mask = (1 << prefix) - 1;
  if (value < mask) {
    out.push(first | value);
    return;
  }
  out.push(first | mask);
  value -= mask;
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
}

function string(out: number[], text: string) {
  integer(out, 0x00, 7, text.length);
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i) & 0xff);
}
