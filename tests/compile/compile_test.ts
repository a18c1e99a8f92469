/**
 * `deno task compile` builds one self-contained binary. `deno compile` needs the `denort`
 * runtime, downloaded from a host these machines cannot reach, or given by `DENORT_BIN`; without
 * one this test is skipped and says why.
 */
import assert from "node:assert/strict";

const DENORT = Deno.env.get("DENORT_BIN");
const REASON = "DENORT_BIN is not set: deno compile cannot download its runtime here";

if (DENORT === undefined) console.warn(`skipping compile test: ${REASON}`);

Deno.test({
  name: "deno task compile builds a binary that runs `version` and `--help` without Deno",
  ignore: DENORT === undefined,
  async fn() {
    const root = new URL("../../", import.meta.url);
    const out = await Deno.makeTempDir();
    try {
      const binary = `${out}/apigw`;
      const build = await new Deno.Command(Deno.execPath(), {
        args: ["compile", "--allow-all", "--output", binary, "main.ts"],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
      for (const args of [["version"], ["--help"]]) {
        const run = await new Deno.Command(binary, { args, stdout: "piped", env: { PATH: "" } })
          .output();
        assert.equal(run.code, 0);
        assert.match(new TextDecoder().decode(run.stdout), /apigw/);
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "the compiled binary serves the bundled quickstart without Deno",
  ignore: DENORT === undefined,
  async fn() {
    const root = new URL("../../", import.meta.url);
    const out = await Deno.makeTempDir();
    try {
      const binary = `${out}/apigw`;
      const build = await new Deno.Command(Deno.execPath(), {
        args: [
          "compile",
          "--allow-all",
          "--include",
          "examples/quickstart",
          "--output",
          binary,
          "main.ts",
        ],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
      const child = new Deno.Command(binary, {
        args: [
          "serve",
          "--listen",
          "127.0.0.1:0",
          "--management-listen",
          "127.0.0.1:0",
          "--demo-upstream",
          "127.0.0.1:0",
          "--state-dir",
          `${out}/state`,
        ],
        cwd: out,
        stderr: "piped",
        env: { PATH: "" },
      }).spawn();
      let text = "";
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        text += decoder.decode(chunk, { stream: true });
        if (text.includes('"Serving gateway"')) break;
      }
      child.kill("SIGTERM");
      assert.equal((await child.status).code, 0);
      assert.match(text, /"msg":"Serving gateway".*"routes":3/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
