import assert from "node:assert/strict";
import type { KubeObject } from "../api/meta.ts";
import { FakeClock } from "../kube/_fake_clock.ts";
import { WorkQueue } from "../kube/queue.ts";
import { EchoFilter, WriteLog } from "./echo.ts";

const LIMITS = { baseDelayMs: 1_000, maxDelayMs: 10_000, qps: 10, burst: 10 };

function vs(rv: string, uid = "u1", name = "vs"): KubeObject {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name, namespace: "ns", uid, resourceVersion: rv },
  };
}

function setup() {
  const queue = new WorkQueue(LIMITS, new FakeClock());
  return { queue, echo: new EchoFilter(queue) };
}

Deno.test("EchoFilter.end() requeues for held events newer than the reconcile's own write", async (t) => {
  await t.step("the echo of the own write is dropped", () => {
    const { queue, echo } = setup();
    echo.begin("ns/rule");
    echo.observe("ns/rule", vs("5"));
    const writes = new WriteLog();
    writes.record(vs("5"));
    echo.end("ns/rule", writes);
    assert.equal(queue.stats.depth, 0);
  });
  await t.step("a later change by someone else requeues", () => {
    const { queue, echo } = setup();
    echo.begin("ns/rule");
    echo.observe("ns/rule", vs("7"));
    const writes = new WriteLog();
    writes.record(vs("5"));
    echo.end("ns/rule", writes);
    assert.equal(queue.stats.depth, 1);
  });
  await t.step("an object the reconcile did not write requeues", () => {
    const { queue, echo } = setup();
    echo.begin("ns/rule");
    echo.observe("ns/rule", vs("3", "other"));
    echo.end("ns/rule", new WriteLog());
    assert.equal(queue.stats.depth, 1);
  });
});

Deno.test("EchoFilter.observe() outside a reconcile drops late echoes and requeues the rest", () => {
  const { queue, echo } = setup();
  echo.begin("ns/rule");
  const writes = new WriteLog();
  writes.record(vs("5"));
  writes.record(vs("6", "gone", "deleted"), { deleted: true });
  echo.end("ns/rule", writes);
  echo.observe("ns/rule", vs("4"));
  echo.observe("ns/rule", vs("9", "gone", "deleted"));
  assert.equal(queue.stats.depth, 0, "an older version and the deleted object are own echoes");
  echo.observe("ns/rule", vs("8"));
  assert.equal(queue.stats.depth, 1, "a hand edit after the write");
});
