import assert from "node:assert/strict";
import { probeHandler } from "./probes.ts";

Deno.test("probeHandler() answers /healthz always and /readyz only once ready", async (t) => {
  let ready = false;
  const handle = probeHandler({ ready: () => ready, metrics: () => "apigw_leader 1\n" });
  const get = (path: string) => handle(new Request(`http://probes${path}`));
  await t.step("before the informers synced", async () => {
    assert.equal(get("/healthz").status, 200);
    const readyz = get("/readyz");
    assert.equal(readyz.status, 503);
    assert.equal(await readyz.text(), "informers not synced\n");
  });
  await t.step("after", () => {
    ready = true;
    assert.equal(get("/readyz").status, 200);
  });
  await t.step("/metrics in the text format, unknown paths 404", async () => {
    const metrics = get("/metrics");
    assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.equal(await metrics.text(), "apigw_leader 1\n");
    assert.equal(get("/nope").status, 404);
    assert.equal(probeHandler({ ready: () => true })(new Request("http://p/metrics")).status, 404);
  });
});
