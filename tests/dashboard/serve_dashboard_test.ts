/**
 * The dashboard of `apigw serve` over real sockets, without a browser: a refused reload shows up
 * as the last reload with its refused object, and the live stream carries the canonical path of a
 * request but never its query, headers or cookies.
 */
import assert from "node:assert/strict";
import { poll } from "../poll.ts";
import { apiRule, startGateway, startUpstream, upstreamService } from "../serve/_gateway.ts";

const SECRET_QUERY = "query-secret-in-stream-test";
const SECRET_COOKIE = "cookie-secret-in-stream-test";

Deno.test("serve dashboard: a refused reload and a redacted live stream", async () => {
  await using upstream = await startUpstream();
  const target = { host: "shop.test", port: upstream.port };
  await using gateway = await startGateway({
    "rule.json": apiRule("shop", target, [{ path: "/*", methods: ["GET"], noAuth: true }]),
    "service.json": upstreamService(upstream.port),
  }, { args: ["--dashboard-listen", "127.0.0.1:0"] });
  const dashboard = String(
    gateway.logs.map((l) => JSON.parse(l)).find((e) => e.msg === "Serving dashboard").listen,
  );
  const state = async () => await (await fetch(`${dashboard}/api/state`)).json();
  assert.equal((await state()).lastReload.outcome, "ok");

  const events = await fetch(`${dashboard}/events`);
  const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
  const sent = await gateway.fetch(`http://shop.test/items/7?access_token=${SECRET_QUERY}`, {
    headers: { cookie: `session=${SECRET_COOKIE}`, authorization: `Bearer ${SECRET_QUERY}` },
  });
  assert.equal(sent.status, 200);
  await sent.body?.cancel();
  let text = "";
  while (!text.includes(`"path":"/items/7"`)) {
    const { value, done } = await reader.read();
    assert.ok(!done);
    text += value;
  }
  await reader.cancel();
  assert.match(text, /"host":"shop\.test","path":"\/items\/7","status":200,"reason":"forwarded"/);
  assert.ok(!text.includes(SECRET_QUERY) && !text.includes(SECRET_COOKIE));

  // An APIRule whose Service is missing: the reload is refused and the object named.
  await Deno.writeTextFile(
    `${gateway.dir}/broken.json`,
    apiRule("broken", { host: "broken.test", port: upstream.port }, [
      { path: "/*", methods: ["GET"], noAuth: true },
    ], { service: { name: "missing", namespace: "test", port: 80 } }),
  );
  const reload = await poll(async () => {
    const last = (await state()).lastReload;
    return last.outcome === "rejected" ? last : undefined;
  }, { timeoutMs: 15_000, what: "the refused reload on the dashboard" });
  assert.equal(reload.routes, 1);
  assert.ok(
    reload.refused.some((p: { object: string }) => p.object.includes("test/broken")),
    JSON.stringify(reload.refused),
  );
  const page = await (await fetch(`${dashboard}/`)).text();
  assert.match(page, /<span class="deny">rejected<\/span>/);
  assert.match(page, /test\/broken/);
});
