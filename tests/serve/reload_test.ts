/**
 * Hot reload of `apigw serve`: config changes under load swap atomically (no failed request,
 * each answer from one whole config), and invalid reloads are reported while the last good
 * config keeps serving.
 */
import assert from "node:assert/strict";
import { poll } from "../poll.ts";
import { apiRule, startGateway, startUpstream, upstreamService } from "./_gateway.ts";

function version(port: number, v: number): string {
  return apiRule("api", { host: "api.test", port }, [
    { path: "/*", methods: ["GET"], noAuth: true, request: { headers: { "x-version": `${v}` } } },
  ]);
}

Deno.test("apigw serve reloads under load without a failed request", async () => {
  await using upstream = await startUpstream();
  await using gateway = await startGateway({
    "service.json": upstreamService(upstream.port),
    "api.json": version(upstream.port, 0),
  });
  let running = true;
  const failures: string[] = [];
  const versions = new Set<string>();
  async function load(): Promise<number> {
    let count = 0;
    while (running) {
      const response = await gateway.fetch("http://api.test/x").catch((e) => e as Error);
      if (response instanceof Error) failures.push(response.message);
      else if (response.status !== 200) failures.push(`status ${response.status}`);
      else versions.add((await response.json()).headers["x-version"]);
      count++;
    }
    return count;
  }
  const loaders = [load(), load(), load(), load()];
  for (let v = 1; v <= 5; v++) {
    await Deno.writeTextFile(`${gateway.dir}/api.json`, version(upstream.port, v));
    await poll(() => versions.has(`${v}`) || undefined, {
      timeoutMs: 20_000,
      what: `version ${v} to serve`,
    });
  }
  running = false;
  const counts = await Promise.all(loaders);
  assert.deepEqual(failures, []);
  assert.ok(counts.reduce((a, b) => a + b) > 20, `requests: ${counts}`);
  assert.deepEqual([...versions].sort(), ["0", "1", "2", "3", "4", "5"]);
});

Deno.test("apigw serve keeps the last good config when a reload is invalid", async (t) => {
  await using upstream = await startUpstream();
  await using gateway = await startGateway({
    "service.json": upstreamService(upstream.port),
    "api.json": version(upstream.port, 1),
  });
  const served = async () => {
    const response = await gateway.fetch("http://api.test/x");
    assert.equal(response.status, 200);
    return (await response.json()).headers["x-version"];
  };
  const rejections = () =>
    gateway.logs.map((l) => JSON.parse(l)).filter((e) => e.msg.startsWith("Rejected config"))
      .length;
  const invalid: [string, string, string, RegExp][] = [
    ["a YAML syntax error", "broken.yaml", "kind: [unclosed", /Cannot parse/],
    [
      "an invalid APIRule field",
      "api.json",
      version(upstream.port, 2).replace('"/*"', '"no-slash"'),
      /spec\.rules\[0\]\.path/,
    ],
    [
      "an APIRule whose Service is missing",
      "other.json",
      apiRule("other", { host: "other.test", port: 1 }, [
        { path: "/*", methods: ["GET"], noAuth: true },
      ]),
      /test\/upstream\\" has no port 1: not served/,
    ],
  ];
  for (const [name, file, text, reported] of invalid) {
    await t.step(name, async () => {
      const before = rejections();
      await Deno.writeTextFile(`${gateway.dir}/${file}`, text);
      await poll(() => rejections() > before || undefined, {
        timeoutMs: 20_000,
        what: "the reload to be rejected",
      });
      assert.match(gateway.logs.join("\n"), reported);
      assert.equal(await served(), "1");
      if (file === "api.json") {
        await Deno.writeTextFile(`${gateway.dir}/${file}`, version(upstream.port, 1));
      } else await Deno.remove(`${gateway.dir}/${file}`);
    });
  }
  await t.step("a valid reload after the invalid ones is served", async () => {
    await Deno.writeTextFile(`${gateway.dir}/api.json`, version(upstream.port, 3));
    await poll(async () => (await served()) === "3" || undefined, {
      timeoutMs: 20_000,
      what: "version 3 to serve",
    });
  });
});
