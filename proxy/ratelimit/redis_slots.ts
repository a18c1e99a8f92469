/**
 * Redis Cluster key slots (the cluster specification's `HASH_SLOT = CRC16(key) mod 16384`, with
 * `{hash tags}`), so a batch of keys is split into one script run per slot: a Lua script may
 * only touch keys of one slot.
 */

export const CLUSTER_SLOTS = 16384;

const TABLE = (() => {
  // CRC-16/XMODEM (polynomial 0x1021, initial 0), as Redis' crc16.c.
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    table[i] = crc;
  }
  return table;
})();

const encoder = new TextEncoder();

/** CRC-16/XMODEM of `bytes`. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc;
}

/** The slot of `key`: only the part inside the first non-empty `{…}` counts, if any. */
export function keySlot(key: string): number {
  let bytes = encoder.encode(key);
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  return crc16(bytes) % CLUSTER_SLOTS;
}

/** The indexes of `keys` grouped by slot, in first-seen order. */
export function groupBySlot(keys: readonly string[]): number[][] {
  const groups = new Map<number, number[]>();
  for (const [i, key] of keys.entries()) {
    const slot = keySlot(key);
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [i]);
    else group.push(i);
  }
  return [...groups.values()];
}
