/**
 * An HPACK decoder (RFC 7541) for one connection's request header blocks: the static table, the
 * dynamic table with its size updates, Huffman strings. Everything a hostile block could use to
 * make it work or allocate without bound is refused as a COMPRESSION_ERROR: an integer of more
 * than 4 continuation bytes, a string running past the block, an index of no entry, a table size
 * above ours, a size update after a field, invalid Huffman. Strings are decoded as latin1 (one
 * character per byte), so a name's or value's length is its size in octets.
 */
import { STATIC_TABLE } from "./hpack_tables.ts";
import { decodeHuffman, fromCodes } from "./huffman.ts";

/** The HPACK size of an entry: its name and value octets plus 32 (RFC 7541 §4.1). */
export const ENTRY_OVERHEAD = 32;
const MAX_INTEGER = 1 << 28;

export class HpackDecoder {
  /** Dynamic table entries, newest last. */
  #names: string[] = [];
  #values: string[] = [];
  #size = 0;
  #maxSize: number;
  readonly #limit: number;
  #at = 0;
  #end = 0;
  #block: Uint8Array = new Uint8Array(0);

  /** `limit`: our SETTINGS_HEADER_TABLE_SIZE, the most a size update may ask for. */
  constructor(limit = 4096) {
    this.#limit = limit;
    this.#maxSize = limit;
  }

  /** The dynamic table's size in HPACK octets. */
  get tableSize(): number {
    return this.#size;
  }

  /**
   * Decodes `block[start, end)`, calling `field` for each header field in order; false when the
   * block is invalid (the connection's COMPRESSION_ERROR: its table is out of step from then on).
   */
  decode(
    block: Uint8Array,
    start: number,
    end: number,
    field: (name: string, value: string) => void,
  ): boolean {
    this.#block = block;
    this.#at = start;
    this.#end = end;
    let fields = 0;
    while (this.#at < end) {
      const byte = block[this.#at]!;
      if (byte & 0x80) {
        const index = this.#integer(7);
        if (index <= 0) return false;
        const name = this.#name(index);
        if (name === undefined) return false;
        field(name, this.#value(index));
        fields++;
      } else if ((byte & 0xe0) === 0x20) {
        // A dynamic table size update: only before the block's first field.
        const size = this.#integer(5);
        if (fields > 0 || size < 0 || size > this.#limit) return false;
        this.#maxSize = size;
        this.#evict(0);
      } else {
        const indexed = (byte & 0xc0) === 0x40;
        const index = this.#integer(indexed ? 6 : 4);
        if (index < 0) return false;
        const name = index === 0 ? this.#string() : this.#name(index);
        if (name === undefined) return false;
        const value = this.#string();
        if (value === undefined) return false;
        if (indexed) this.#insert(name, value);
        field(name, value);
        fields++;
      }
    }
    return true;
  }

  /** An integer with an N-bit prefix (RFC 7541 §5.1); -1 when truncated or too large. */
  #integer(prefix: number): number {
    const block = this.#block;
    const mask = (1 << prefix) - 1;
    let value = block[this.#at++]! & mask;
    if (value < mask) return value;
    for (let shift = 0; shift <= 21; shift += 7) {
      if (this.#at >= this.#end) return -1;
      const byte = block[this.#at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value < MAX_INTEGER ? value : -1;
    }
    return -1;
  }

  /** A string literal (RFC 7541 §5.2); undefined when it runs past the block or is invalid. */
  #string(): string | undefined {
    if (this.#at >= this.#end) return undefined;
    const huffman = (this.#block[this.#at]! & 0x80) !== 0;
    const length = this.#integer(7);
    if (length < 0 || length > this.#end - this.#at) return undefined;
    const start = this.#at;
    this.#at += length;
    return huffman
      ? decodeHuffman(this.#block, start, start + length)
      : fromCodes(this.#block, length, start);
  }

  #name(index: number): string | undefined {
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]![0];
    const at = this.#names.length - 1 - (index - STATIC_TABLE.length - 1);
    return at >= 0 ? this.#names[at] : undefined;
  }

  /** The value at an index `#name` accepted. */
  #value(index: number): string {
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]![1];
    return this.#values[this.#values.length - 1 - (index - STATIC_TABLE.length - 1)]!;
  }

  #insert(name: string, value: string) {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    // An entry larger than the table empties it and is not added (RFC 7541 §4.4).
    this.#evict(size);
    if (size > this.#maxSize) return;
    this.#names.push(name);
    this.#values.push(value);
    this.#size += size;
  }

  /** Drops the oldest entries until `room` more octets fit. */
  #evict(room: number) {
    let drop = 0;
    while (this.#size + room > this.#maxSize && drop < this.#names.length) {
      this.#size -= this.#names[drop]!.length + this.#values[drop]!.length + ENTRY_OVERHEAD;
      drop++;
    }
    if (drop > 0) {
      this.#names.splice(0, drop);
      this.#values.splice(0, drop);
    }
  }
}
