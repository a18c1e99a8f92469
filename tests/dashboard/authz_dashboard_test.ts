/**
 * The dashboard on `apigw authz`: started through the CLI with `--dashboard-listen`, over real
 * sockets: the rules from the folder, checks in the live stream (never their query), the
 * dry-run explain form, and a clean stop with a stream still open.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { apiRule, GATEWAY } from "../../core/authz/_testing.ts";
import { startAuthz } from "../authz/run_authz.ts";
import { http1 } from "../authz/http1.ts";
import { poll } from "../poll.ts";

const HOST = "orders.local.kyma.dev";

Deno.test("apigw authz --dashboard-listen: rules, live checks and explain", async () => {
  const dir = await Deno.makeTempDir({ prefix: "apigw-authz-dashboard-" });
  try {
    await Deno.writeTextFile(
      `${dir}/rules.yaml`,
      [GATEWAY, apiRule("orders", [{ path: "/public", noAuth: true }])].map((o) => stringify(o))
        .join("---\n"),
    );
    await using authz = await startAuthz(["--config", dir, "--dashboard-listen", "127.0.0.1:0"]);
    const listening = await poll(() => authz.logs.find((l) => l.msg === "Serving dashboard"));
    const dashboard = String(listening.listen);
    const page = await (await fetch(`${dashboard}/`)).text();
    assert.match(page, /<h1>apigw authz/);
    assert.match(page, new RegExp(`<td>${HOST.replaceAll(".", "\\.")}</td>`));
    assert.match(page, /<code>\/public<\/code>/);
    assert.match(page, /\(Envoy route\)/);
    assert.match(page, /<span class="allow">ok<\/span>/);

    const events = await fetch(`${dashboard}/events`);
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    const checked = await http1(authz.checkUrl, "/public?access_token=never-in-the-stream", {
      headers: { host: HOST },
    });
    assert.equal(checked.status, 200);
    let text = "";
    while (!text.includes(`"path":"/public"`)) {
      const { value, done } = await reader.read();
      assert.ok(!done, "the stream stays open");
      text += value;
    }
    assert.match(text, /"frontEnd":"authz"[^\n]*"status":200,"reason":"no_auth"/);
    assert.ok(!text.includes("never-in-the-stream"));

    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const explained = await fetch(`${dashboard}/explain`, {
      method: "POST",
      headers: { origin: dashboard, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, method: "GET", url: `https://${HOST}/nothing` }),
    });
    assert.equal(explained.status, 200);
    assert.match(await explained.text(), /<code id="explain-reason">no_rule_matched<\/code>/);
    // Stopping with a live stream open still ends promptly.
    assert.equal(await authz.stop(), 0);
    while (!(await reader.read()).done) { /* drain to the end */ }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
