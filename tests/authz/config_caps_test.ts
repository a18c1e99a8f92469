/**
 * `apigw authz --config` within its size caps (issue 14 #7): a file over the per-file cap is
 * refused by its size without being parsed, logged and counted; the last good index decides.
 * An over-cap folder at startup stops the command.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { runCli } from "../../cli/mod.ts";
import { apiRule, GATEWAY } from "../../core/authz/_testing.ts";
import { poll } from "../poll.ts";
import { http1 } from "./http1.ts";
import { startAuthz } from "./run_authz.ts";

function check(base: string, path: string) {
  return http1(base, path, { headers: { host: "orders.local.kyma.dev" } });
}

function rules(paths: string[]): string {
  const rule = apiRule("orders", paths.map((path) => ({ path, noAuth: true })));
  return [GATEWAY, rule].map((o) => stringify(o)).join("---\n");
}

Deno.test("apigw authz refuses an over-cap config file by size and keeps its index", async () => {
  const dir = await Deno.makeTempDir({ prefix: "apigw-authz-caps-" });
  try {
    await Deno.writeTextFile(`${dir}/rules.yaml`, rules(["/public"]));
    await using authz = await startAuthz([
      "--config",
      dir,
      "--config-max-file-bytes",
      "64Ki",
    ]);
    await poll(async () => (await check(authz.checkUrl, "/public")).status === 200 || undefined, {
      what: "the first rules to be served",
    });
    // Valid rules with a new path, padded past the cap: served only if the file were read.
    const padded = rules(["/public", "/new"]) + `# ${"p".repeat(128 * 1024)}\n`;
    // Written next to the folder and renamed in: the watcher never sees half a file.
    const temp = await Deno.makeTempFile({ dir: `${dir}/..`, prefix: "apigw-authz-drop-" });
    await Deno.writeTextFile(temp, padded);
    await Deno.rename(temp, `${dir}/rules.yaml`);
    const refused = await poll(
      () => authz.logs.find((l) => l.msg === "Refused config by size; keeping the last good one"),
      { timeoutMs: 20_000, what: "the refusal" },
    );
    assert.equal(refused.reason, "file_size");
    assert.equal(refused.file, `${dir}/rules.yaml`);
    assert.equal(refused.bytes, new TextEncoder().encode(padded).byteLength);
    assert.equal(refused.cap, 64 * 1024);
    assert.equal((await check(authz.checkUrl, "/new")).status, 404, "last good index kept");
    assert.equal((await check(authz.checkUrl, "/public")).status, 200);
    const metrics = await fetch(`${authz.managementUrl}/metrics`).then((r) => r.text());
    assert.match(metrics, /^apigw_config_refused_total\{reason="file_size"\} [1-9]\d*$/m);
    assert.match(metrics, /^apigw_authz_index_reloads_total\{result="error"\} [1-9]\d*$/m);

    await Deno.writeTextFile(`${dir}/rules.yaml`, rules(["/public", "/new"]));
    await poll(async () => (await check(authz.checkUrl, "/new")).status === 200 || undefined, {
      timeoutMs: 20_000,
      what: "the change to be served once under the cap",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("apigw authz does not start on a config folder over its cap", async () => {
  const dir = await Deno.makeTempDir({ prefix: "apigw-authz-caps-" });
  try {
    await Deno.writeTextFile(`${dir}/a.yaml`, rules(["/a"]));
    await Deno.writeTextFile(`${dir}/b.yaml`, `# ${"p".repeat(2048)}\n`);
    const errors: string[] = [];
    const code = await runCli(
      ["authz", "--config", dir, "--listen", "127.0.0.1:0", "--config-max-folder-bytes", "2Ki"],
      {
        stdout: () => {},
        stderr: (text) => errors.push(text),
        env: () => undefined,
        signal: new AbortController().signal,
      },
    );
    assert.equal(code, 1);
    assert.match(errors.join(""), /Config folder ".*" has \d+ bytes, over the folder cap of 2048/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
