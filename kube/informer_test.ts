import assert from "node:assert/strict";
import type { KubeObject } from "../api/meta.ts";
import { createLogger } from "../lib/log.ts";
import { createKubeClient } from "./client.ts";
import { KubeError } from "./errors.ts";
import { Informer, type InformerOptions } from "./informer.ts";
import { resourceType } from "./resources.ts";
import type { StoreEvent } from "./store.ts";

const LOG = createLogger({ level: "error", write: () => {} });
const TYPE = resourceType("", "ConfigMap");

function configMap(name: string, rv: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "ns", uid: name, resourceVersion: rv },
  };
}

/**
 * A tiny apiserver for one resource: each list answers the next entry of `lists`, each watch
 * streams the next entry of `watches` (JSON lines) and then ends, or answers its HTTP status.
 */
function fakeApiserver(script: {
  lists: Array<{ items: KubeObject[]; resourceVersion: string; continue?: string } | number>;
  watches: Array<unknown[] | number>;
}) {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    const watch = url.searchParams.get("watch") === "1";
    const page = url.searchParams.get("continue");
    requests.push(
      `${watch ? "WATCH" : "LIST"} rv=${url.searchParams.get("resourceVersion") ?? ""}${
        page === null ? "" : ` continue=${page} limit=${url.searchParams.get("limit")}`
      }`,
    );
    const next = watch ? script.watches.shift() : script.lists.shift();
    if (next === undefined) {
      // Nothing scripted: hold the watch open until the client goes away.
      return new Response(new ReadableStream({ start() {} }));
    }
    if (typeof next === "number") {
      return Response.json({ kind: "Status", code: next }, { status: next });
    }
    if (!watch && !Array.isArray(next)) {
      return Response.json({
        kind: "ConfigMapList",
        metadata: {
          resourceVersion: next.resourceVersion,
          ...(next.continue === undefined ? {} : { continue: next.continue }),
        },
        items: next.items,
      });
    }
    const lines = (next as unknown[]).map((line) => JSON.stringify(line) + "\n").join("");
    return new Response(lines);
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, requests, close: () => server.shutdown() };
}

async function run(
  script: Parameters<typeof fakeApiserver>[0],
  until: (events: StoreEvent[], informer: Informer) => boolean,
  options: Partial<InformerOptions> = {},
) {
  const api = fakeApiserver(script);
  const client = createKubeClient({
    server: api.url,
    caPem: undefined,
    clientCert: undefined,
    token: () => Promise.resolve(undefined),
  });
  const informer = new Informer(client, {
    type: TYPE,
    backoff: { baseMs: 1, maxMs: 5 },
    absentRetryMs: 5,
    ...options,
  }, LOG);
  const events: StoreEvent[] = [];
  informer.onChange((event) => events.push(event));
  const stop = new AbortController();
  const running = informer.run(stop.signal);
  const deadline = Date.now() + 5_000;
  while (!until(events, informer) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  stop.abort();
  await running;
  client.close();
  await api.close();
  return { events, informer, requests: api.requests };
}

Deno.test("Informer.run() lists, then watches from the list's version and applies events", async () => {
  const { events, informer, requests } = await run({
    lists: [{ items: [configMap("a", "5")], resourceVersion: "10" }],
    watches: [[
      { type: "ADDED", object: configMap("b", "11") },
      { type: "MODIFIED", object: configMap("a", "12") },
      { type: "DELETED", object: configMap("b", "13") },
      {
        type: "BOOKMARK",
        object: { apiVersion: "v1", kind: "ConfigMap", metadata: { resourceVersion: "20" } },
      },
    ]],
  }, (events) => events.length >= 4);
  assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), [
    "added a",
    "added b",
    "modified a",
    "deleted b",
  ]);
  assert.deepEqual(
    requests.slice(0, 3),
    ["LIST rv=", "WATCH rv=10", "WATCH rv=20"],
    "resumes after the bookmark",
  );
  assert.equal(informer.synced, true);
  assert.deepEqual(informer.store.list().map((o) => o.metadata.name), ["a"]);
});

Deno.test("Informer.run() relists when the watch says 410 Gone", async (t) => {
  for (
    const gone of [{
      name: "as an ERROR event",
      watch: [{ type: "ERROR", object: { kind: "Status", code: 410 } }],
    }, { name: "as the HTTP status", watch: 410 }]
  ) {
    await t.step(gone.name, async () => {
      const { events, requests } = await run({
        lists: [
          { items: [configMap("a", "5"), configMap("b", "6")], resourceVersion: "10" },
          { items: [configMap("a", "30")], resourceVersion: "31" },
        ],
        watches: [gone.watch],
      }, (events) => events.some((e) => e.type === "deleted"));
      assert.deepEqual(requests.slice(0, 3), ["LIST rv=", "WATCH rv=10", "LIST rv="]);
      assert.deepEqual(events.slice(2).map((e) => `${e.type} ${e.object.metadata.name}`).sort(), [
        "deleted b",
        "modified a",
      ]);
    });
  }
});

Deno.test("Informer.run() counts a resource that does not exist as synced and empty", async () => {
  const { informer, requests } = await run({
    lists: [404, 404],
    watches: [],
  }, (_events, informer) => informer.synced);
  assert.equal(informer.absent, true);
  assert.equal(informer.store.size, 0);
  assert.equal(requests[0], "LIST rv=");
});

Deno.test("Informer.run() retries a failed list and syncs once it works", async () => {
  const { informer, requests } = await run({
    lists: [500, 503, { items: [configMap("a", "1")], resourceVersion: "2" }],
    watches: [],
  }, (_events, informer) => informer.synced);
  assert.deepEqual(requests.slice(0, 3), ["LIST rv=", "LIST rv=", "LIST rv="]);
  assert.equal(informer.store.size, 1);
});

function withHistory(object: KubeObject): KubeObject {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      annotations: { keep: "1", "kubectl.kubernetes.io/last-applied-configuration": "{}" },
      managedFields: [{ manager: "kubectl", operation: "Apply", fieldsV1: { "f:data": {} } }],
    } as KubeObject["metadata"],
  };
}

Deno.test("Informer.run() lists page by page and stores the objects without managedFields and last-applied annotation", async () => {
  const { informer, requests } = await run(
    {
      lists: [
        { items: [withHistory(configMap("a", "5"))], resourceVersion: "10", continue: "p2" },
        { items: [withHistory(configMap("b", "6"))], resourceVersion: "10", continue: "p3" },
        { items: [withHistory(configMap("c", "7"))], resourceVersion: "10" },
      ],
      watches: [],
    },
    (_events, informer) => informer.synced,
    { pageSize: 1 },
  );
  assert.deepEqual(requests.slice(0, 4), [
    "LIST rv=",
    "LIST rv= continue=p2 limit=1",
    "LIST rv= continue=p3 limit=1",
    "WATCH rv=10",
  ]);
  assert.deepEqual(
    informer.store.list().map((o) => o.metadata),
    ["a", "b", "c"].map((name, i) => ({
      ...configMap(name, String(5 + i)).metadata,
      annotations: { keep: "1" },
    })),
  );
});

Deno.test("Informer.run() drops managedFields and the last-applied annotation of watched objects and of its own writes", async () => {
  const { informer } = await run({
    lists: [{ items: [], resourceVersion: "10" }],
    watches: [[{ type: "ADDED", object: withHistory(configMap("a", "11")) }]],
  }, (events) => events.length >= 1);
  assert.equal("managedFields" in (informer.store.get("ns", "a")?.metadata ?? {}), false);
  informer.remember(withHistory(configMap("b", "12")));
  assert.deepEqual(informer.store.get("ns", "b")?.metadata.annotations, { keep: "1" });
  assert.equal("managedFields" in (informer.store.get("ns", "b")?.metadata ?? {}), false);
});

Deno.test("Informer.run() restarts a paginated list whose continue token expired (410)", async () => {
  const { informer, requests } = await run(
    {
      lists: [
        { items: [configMap("a", "5")], resourceVersion: "10", continue: "p2" },
        410,
        { items: [configMap("b", "6")], resourceVersion: "12", continue: "q2" },
        { items: [configMap("c", "7")], resourceVersion: "12" },
      ],
      watches: [],
    },
    (_events, informer) => informer.synced,
    { pageSize: 1 },
  );
  assert.deepEqual(requests.slice(0, 5), [
    "LIST rv=",
    "LIST rv= continue=p2 limit=1",
    "LIST rv=",
    "LIST rv= continue=q2 limit=1",
    "WATCH rv=12",
  ]);
  assert.deepEqual(informer.store.list().map((o) => o.metadata.name), ["b", "c"]);
});

Deno.test("KubeClient.stream() ends with Unavailable when a line outgrows its bound", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
    new Response(
      JSON.stringify({ type: "ADDED", object: configMap("a", "1") }) + "\n" + "x".repeat(4096),
    ));
  const client = createKubeClient({
    server: `http://127.0.0.1:${server.addr.port}`,
    caPem: undefined,
    clientCert: undefined,
    token: () => Promise.resolve(undefined),
  }, { maxLineLength: 1024 });
  const stop = new AbortController();
  try {
    const stream = await client.stream("/api/v1/configmaps?watch=1", { signal: stop.signal });
    assert.ok(stream.ok);
    const lines: unknown[] = [];
    await assert.rejects(async () => {
      for await (const line of stream.value) lines.push(line);
    }, (error) => error instanceof KubeError && error.reason === "Unavailable");
    assert.equal(lines.length, 1, "the complete line before the long one arrives");
  } finally {
    stop.abort();
    client.close();
    await server.shutdown();
  }
});
