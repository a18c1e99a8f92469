import assert from "node:assert/strict";
import { crc16, groupBySlot, keySlot } from "./redis_slots.ts";

Deno.test("crc16() is CRC-16/XMODEM (check value of 123456789: 0x31C3)", () => {
  assert.equal(crc16(new TextEncoder().encode("123456789")), 0x31c3);
});

Deno.test("keySlot() gives the slots of the cluster specification's examples", () => {
  // Values of CLUSTER KEYSLOT on Redis 7.
  assert.equal(keySlot("foo"), 12182);
  assert.equal(keySlot("bar"), 5061);
  assert.equal(keySlot("{user1000}.following"), keySlot("user1000"));
  assert.equal(keySlot("foo{}{bar}"), keySlot("foo{}{bar}"), "an empty tag hashes the whole key");
  assert.notEqual(keySlot("foo{}{bar}"), keySlot("bar"));
  assert.equal(keySlot("foo{{bar}}zap"), keySlot("{bar"));
});

Deno.test("groupBySlot() keeps each slot's keys together, in order", () => {
  const keys = ["{a}1", "{b}1", "{a}2", "{c}1", "{b}2"];
  assert.deepEqual(groupBySlot(keys), [[0, 2], [1, 4], [3]]);
  assert.deepEqual(groupBySlot([]), []);
});
