import assert from "node:assert/strict";
import { declaredBodyLength } from "./request.ts";

Deno.test("declaredBodyLength() merges identical lengths and refuses ambiguous framing", () => {
  const length = (init: [string, string][]) => declaredBodyLength(new Headers(init));
  assert.deepEqual(length([]), { ok: true, value: undefined });
  assert.deepEqual(length([["content-length", "5"], ["content-length", "5"]]), {
    ok: true,
    value: 5,
  });
  assert.deepEqual(length([["content-length", "05, 5"]]), { ok: true, value: 5 });
  assert.deepEqual(length([["transfer-encoding", "Chunked"]]), { ok: true, value: undefined });
  for (
    const refused of [
      [["content-length", "5"], ["content-length", "4"]],
      [["content-length", "5,"]],
      [["content-length", "+5"]],
      [["content-length", "-1"]],
      [["content-length", "0x5"]],
      [["content-length", "1e3"]],
      [["content-length", "9999999999999999"]],
      [["content-length", "5"], ["transfer-encoding", "chunked"]],
      [["transfer-encoding", "gzip, chunked"]],
      [["transfer-encoding", "chunked, chunked"]],
    ] as [string, string][][]
  ) {
    assert.equal(length(refused).ok, false, JSON.stringify(refused));
  }
});
