import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const COMMITTED = `${ROOT}proxy/grpc/envoy.protoset`;

function hasGo(): boolean {
  try {
    return new Deno.Command("go", { args: ["version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "envoy.protoset is what `deno task protoset` generates from go-control-plane",
  ignore: !hasGo(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "apigw-protoset-" });
    try {
      const result = await new Deno.Command("go", {
        args: ["-C", `${ROOT}tests/grpc/tool`, "run", "./protoset", `${dir}/envoy.protoset`],
        env: { GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(result.success, new TextDecoder().decode(result.stderr));
      const generated = await Deno.readFile(`${dir}/envoy.protoset`);
      assert.ok(
        generated.length > 0 && equalBytes(generated, await Deno.readFile(COMMITTED)),
        "proxy/grpc/envoy.protoset is stale: run `deno task protoset` and commit the result",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
