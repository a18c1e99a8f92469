import assert from "node:assert/strict";
import { parseQuantity } from "./_quantity.ts";

const CASES: Array<{ input: unknown; value: number | undefined }> = [
  { input: "4", value: 4 },
  { input: "3800m", value: 3.8 },
  { input: "2.5", value: 2.5 },
  { input: "16Gi", value: 16 * 2 ** 30 },
  { input: "16367612Ki", value: 16367612 * 1024 },
  { input: "10G", value: 10e9 },
  { input: "1e3", value: 1000 },
  { input: "1E", value: 1e18 },
  { input: 8, value: 8 },
  { input: "12Q", value: undefined },
  { input: "", value: undefined },
  { input: null, value: undefined },
];

Deno.test("parseQuantity() reads Kubernetes quantities", async (t) => {
  for (const tc of CASES) {
    await t.step(String(tc.input), () => assert.equal(parseQuantity(tc.input), tc.value));
  }
});
