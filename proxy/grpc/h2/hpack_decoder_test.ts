/**
 * The HPACK decoder against RFC 7541 Appendix C (requests with and without Huffman, the dynamic
 * table as it fills and evicts), and the encodings it must refuse.
 */
import assert from "node:assert/strict";
import { HpackDecoder } from "./hpack_decoder.ts";
import { encodeHeaders } from "./hpack_encoder.ts";
import { decodeHuffman } from "./huffman.ts";
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./hpack_tables.ts";

const hex = (text: string) =>
  Uint8Array.from(text.replace(/\s+/g, "").match(/../g)!.map((b) => parseInt(b, 16)));

function decodeAll(decoder: HpackDecoder, block: Uint8Array): [string, string][] | undefined {
  const fields: [string, string][] = [];
  return decoder.decode(block, 0, block.length, (n, v) => fields.push([n, v])) ? fields : undefined;
}

/** RFC 7541 C.3 (literals) and C.4 (Huffman): three requests on one connection. */
const REQUESTS: { name: string; blocks: string[] }[] = [
  {
    name: "C.3 requests without Huffman",
    blocks: [
      "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "8286 84be 5808 6e6f 2d63 6163 6865",
      "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    ],
  },
  {
    name: "C.4 requests with Huffman",
    blocks: [
      "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
      "8286 84be 5886 a8eb 1064 9cbf",
      "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    ],
  },
];
const EXPECTED: [string, string][][] = [
  [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"]],
  [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"], [
    "cache-control",
    "no-cache",
  ]],
  [[":method", "GET"], [":scheme", "https"], [":path", "/index.html"], [
    ":authority",
    "www.example.com",
  ], ["custom-key", "custom-value"]],
];
const TABLE_SIZES = [57, 110, 164];

Deno.test("HpackDecoder.decode() reads RFC 7541's request examples and keeps the dynamic table", async (t) => {
  for (const tc of REQUESTS) {
    await t.step(tc.name, () => {
      const decoder = new HpackDecoder();
      tc.blocks.forEach((block, i) => {
        assert.deepEqual(decodeAll(decoder, hex(block)), EXPECTED[i]);
        assert.equal(decoder.tableSize, TABLE_SIZES[i]);
      });
    });
  }
});

Deno.test("HpackDecoder.decode() evicts the oldest entries and honours size updates", () => {
  const decoder = new HpackDecoder(256);
  const insert = (name: string, value: string) =>
    new Uint8Array([
      0x40,
      name.length,
      ...new TextEncoder().encode(name),
      value.length,
      ...new TextEncoder().encode(value),
    ]);
  // Three entries of 32 + 1 + 100 = 133 octets do not fit 256: the first is evicted.
  const v = (c: string) => c.repeat(100);
  decodeAll(
    decoder,
    new Uint8Array([...insert("a", v("a")), ...insert("b", v("b")), ...insert("c", v("c"))]),
  );
  assert.equal(decoder.tableSize, 266 - 133);
  assert.deepEqual(decodeAll(decoder, new Uint8Array([0xbe])), [["c", v("c")]]);
  assert.equal(decodeAll(decoder, new Uint8Array([0xbf])), undefined); // "b" was evicted with "a"
  // A size update of 0 empties the table; one above the limit (256) is refused.
  assert.deepEqual(decodeAll(decoder, new Uint8Array([0x20])), []);
  assert.equal(decoder.tableSize, 0);
  assert.equal(decodeAll(new HpackDecoder(256), new Uint8Array([0x3f, 0xe2, 0x01])), undefined);
  // A size update after a field is refused.
  assert.equal(decodeAll(new HpackDecoder(), new Uint8Array([0x82, 0x20])), undefined);
});

Deno.test("HpackDecoder.decode() refuses invalid encodings", async (t) => {
  const cases: [string, string][] = [
    ["index 0", "80"],
    ["an index past the tables", "ff00"],
    ["an integer of 5 continuation bytes", "ff ff ff ff ff 01"],
    ["an integer cut off", "ff"],
    ["a string longer than the block", "40 05 61"],
    ["a name index past the tables", "7f 40 01 61"],
    ["Huffman with EOS", "40 01 61 84 ff ff ff ff"],
    ["Huffman padded with 8 bits", "40 01 61 82 1f ff"],
  ];
  for (const [name, block] of cases) {
    await t.step(name, () => assert.equal(decodeAll(new HpackDecoder(), hex(block)), undefined));
  }
});

/** Huffman-encodes latin1 text with the table (EOS-prefix padding). */
function huffman(text: string): Uint8Array {
  let bits = "";
  for (const c of text) {
    const code = c.charCodeAt(0);
    bits += HUFFMAN_CODES[code]!.toString(2).padStart(HUFFMAN_LENGTHS[code]!, "0");
  }
  bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, "1");
  return Uint8Array.from(bits.match(/.{8}/g) ?? [], (b) => parseInt(b, 2));
}

Deno.test("decodeHuffman() decodes every byte value and refuses bad padding", () => {
  assert.equal(decodeHuffman(hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff"), 0, 12), "www.example.com");
  const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
  const encoded = huffman(all + all);
  assert.equal(decodeHuffman(encoded, 0, encoded.length), all + all);
  assert.equal(decodeHuffman(hex("1f"), 0, 1), "a"); // "a" (00011) and 3 bits of padding
  assert.equal(decodeHuffman(hex("18"), 0, 1), undefined); // padding of 0 bits
  assert.equal(decodeHuffman(hex("1fff"), 0, 2), undefined); // 11 bits of padding
  assert.equal(decodeHuffman(hex("1f"), 0, 0), "");
});

Deno.test("encodeHeaders() output decodes back to the same fields", () => {
  const fields: [string, string][] = [
    [":status", "200"],
    [":status", "415"],
    ["content-type", "application/grpc"],
    ["grpc-status", "0"],
    ["grpc-message", "x".repeat(300)],
  ];
  assert.deepEqual(decodeAll(new HpackDecoder(), encodeHeaders(fields)), fields);
});
