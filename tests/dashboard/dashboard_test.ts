/**
 * The dashboard of `apigw serve` in a real headless Chromium (Debian's package, installed when
 * missing), driven over the DevTools protocol: the routes table shows the quickstart's routes, a
 * request made during the test appears in the live stream within 2 s, the explain form answers
 * (and takes no rate-limit token), and a cross-origin form post is refused. Screenshots go to
 * .test-results/screenshots/.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { freePort } from "../cluster/_ports.ts";
import { poll } from "../poll.ts";
import { startGateway } from "../serve/_gateway.ts";
import { openPage } from "./_cdp.ts";
import { chromiumPath, ensureChromiumInstalled, startChromium } from "./chromium.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCREENSHOTS = `${ROOT}.test-results/screenshots`;
const QUERY_TOKEN = "query-token-of-the-browser-test";

const installed = await ensureChromiumInstalled((line) => console.error(line));
if (!installed.ok) console.error(`Skipping the dashboard browser test: ${installed.reason}`);

Deno.test({
  name: "the serve dashboard in headless Chromium: routes, live stream, explain, CSRF",
  ignore: !installed.ok,
  async fn() {
    const demoPort = freePort();
    const files: Record<string, string> = {};
    for (const entry of Deno.readDirSync(`${ROOT}examples/quickstart`)) {
      const text = await Deno.readTextFile(`${ROOT}examples/quickstart/${entry.name}`);
      files[entry.name] = text.replaceAll("8081", String(demoPort));
    }
    await using gateway = await startGateway(files, {
      args: ["--demo-upstream", `127.0.0.1:${demoPort}`, "--dashboard-listen", "127.0.0.1:0"],
    });
    const listening = gateway.logs.map((l) => JSON.parse(l)).find((e) =>
      e.msg === "Serving dashboard"
    );
    assert.ok(listening !== undefined, "the dashboard listens");
    const dashboard: string = listening.listen;
    // Another origin (another port), as a page on any site would be.
    await using attacker = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => {
        const csrf = new URL(request.url).searchParams.get("csrf") ?? "";
        return new Response(
          `<!doctype html><body><form id="f" method="post" action="${dashboard}/explain">
<input name="csrf" value="${csrf}"><input name="url" value="http://echo.localhost/public/x">
</form><script>document.getElementById("f").submit()</script></body>`,
          { headers: { "content-type": "text/html" } },
        );
      },
    );
    const binary = await chromiumPath();
    assert.ok(binary !== undefined);
    await using chromium = await startChromium(binary);
    await using page = await openPage(chromium.devtoolsOrigin);

    await page.navigate(`${dashboard}/`);
    const routes = await page.evaluate<string[][]>(
      `[...document.querySelectorAll("#routes tbody tr")].map((r) =>
        [...r.cells].map((c) => c.textContent.trim()))`,
    );
    assert.deepEqual(routes.map((r) => [r[0], r[1], r[2]]), [
      ["echo.localhost", "/public/{**}", "GET, OPTIONS"],
      ["echo.localhost", "/private/{**}", "GET, OPTIONS"],
      ["echo.localhost", "/limited", "GET"],
    ]);
    assert.match(routes[1]![3]!, /^jwt/);
    assert.match(routes[2]![5]!, /\/limited: 3 max/);

    // The live stream: connected, then a request made now shows up within 2 s.
    await poll(
      () =>
        page.evaluate<string>(`document.getElementById("stream-state").textContent`)
          .then((s) => s === "live" ? s : undefined),
      { timeoutMs: 10_000, what: "the live stream to connect" },
    );
    const probe = `/public/probe-${crypto.randomUUID().slice(0, 8)}`;
    const sent = await gateway.fetch(`http://echo.localhost${probe}?access_token=${QUERY_TOKEN}`);
    assert.equal(sent.status, 200);
    await sent.body?.cancel();
    const row = await poll(
      () =>
        page.evaluate<string[] | null>(
          `(() => { const r = [...document.querySelectorAll("#stream tbody tr")]
            .find((r) => r.cells[3].textContent === ${JSON.stringify(probe)});
            return r ? [...r.cells].map((c) => c.textContent) : null; })()`,
        ).then((r) => r ?? undefined),
      { timeoutMs: 2_000, intervalMs: 50, what: "the request in the live stream" },
    );
    assert.deepEqual([row[1], row[2], row[4], row[5], row[6]], [
      "GET",
      "echo.localhost",
      "200",
      "forwarded",
      "demo/echo#0",
    ]);
    const text = await page.evaluate<string>("document.documentElement.outerHTML");
    assert.ok(!text.includes(QUERY_TOKEN), "the query token is not shown");
    await page.screenshot(`${SCREENSHOTS}/dashboard-live.png`);

    // The explain form answers, as a dry run: explaining /limited takes none of its 3 tokens.
    for (let i = 0; i < 2; i++) {
      await page.evaluate(`(() => {
        document.getElementById("explain-result")?.remove();
        const form = document.getElementById("explain");
        form.elements.url.value = "http://echo.localhost/limited";
        form.elements.headers.value = "Authorization: Bearer not-shown-back";
        form.submit();
      })()`);
      const reason = await poll(
        () =>
          page.evaluate<string | null>(
            `document.getElementById("explain-reason")?.textContent ?? null`,
          ).then((r) => r ?? undefined),
        { timeoutMs: 10_000, what: "the explain answer" },
      ).catch(async (error) => {
        throw new Error(
          `${error.message}; the page shows:\n${await page.evaluate("document.body.innerText")}`,
        );
      });
      assert.equal(reason, "no_auth");
    }
    const explained = await page.evaluate<string>("document.body.innerText");
    assert.match(explained, /allow \(200\)/);
    assert.match(explained, /Would draw from \(not taken\)/);
    assert.ok(!explained.includes("not-shown-back"));
    await page.evaluate(`document.getElementById("explain-result").scrollIntoView()`);
    await page.screenshot(`${SCREENSHOTS}/dashboard-explain.png`);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await gateway.fetch("http://echo.localhost/limited");
      statuses.push(response.status);
      await response.body?.cancel();
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const denied = await gateway.fetch("http://echo.localhost/private/orders");
    assert.equal(denied.status, 401);
    await denied.body?.cancel();
    // The overview the README shows: the stream replays the ring buffer, the /limited bucket is
    // empty.
    await page.navigate(`${dashboard}/`);
    await poll(
      () =>
        page.evaluate<number>(`document.querySelectorAll("#stream tbody tr").length`)
          .then((n) => n >= 6 ? n : undefined),
      { timeoutMs: 10_000, what: "the replayed decisions" },
    );
    assert.match(
      await page.evaluate<string>(`document.getElementById("buckets").textContent`),
      /demo\/echo\/0: 0 of 3 tokens left/,
    );
    await page.screenshot(`${SCREENSHOTS}/dashboard.png`);

    // A cross-origin form post, even with the page's CSRF token, is refused.
    const csrf = await page.evaluate<string>(`document.querySelector("[name=csrf]").value`);
    await page.navigate(
      `http://127.0.0.1:${attacker.addr.port}/?csrf=${encodeURIComponent(csrf)}`,
    );
    const refusal = await poll(
      () =>
        page.evaluate<string | null>(
          `document.getElementById("refusal")?.textContent ?? null`,
        ).then((r) => r ?? undefined),
      { timeoutMs: 10_000, what: "the dashboard's answer to the cross-origin post" },
    );
    assert.match(refusal, /^cross_origin:/);
    assert.equal(
      await page.evaluate<string>("location.origin"),
      new URL(dashboard).origin,
      "the browser followed the form to the dashboard",
    );
    await page.screenshot(`${SCREENSHOTS}/dashboard-cross-origin.png`);
  },
});
