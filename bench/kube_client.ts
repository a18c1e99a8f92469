/**
 * kube/ against @kubernetes/client-node (docs/decisions/kube-client.md): the same list + watch of
 * N APIRules (storage version, one namespace) through each client, each in a child process of its
 * own behind a counting proxy to the test kube-apiserver. Measured per client: time to sync (start
 * → every object in the cache), CPU seconds and RSS (/proc; the kernel's peak too) and V8 heap
 * after a forced GC, and what it does when its watch is cut and the rewatch answers `410 Gone`
 * (the proxy injects it): requests, and time until the cache is whole again.
 *
 *   deno run -A bench/kube_client.ts [--apirules 1000] [--page-size 500]
 *
 * Runs against the cluster of `deno task test` when its variables are set, else starts one.
 */
import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import { parseArgs } from "node:util";
import { CLUSTER_ENV, poll, testCluster } from "../tests/cluster/mod.ts";
import { ensureNamespace } from "../tests/cluster/namespaces.ts";
import { apiRule, kymaGateway, service } from "../tests/operator/_fixtures.ts";
import { applyAsAdmin } from "../tests/operator/_operator.ts";
import { ownCluster } from "./_cluster.ts";
import { cpuSeconds, memoryOf } from "./_proc.ts";

const GROUP = "gateway.kyma-project.io";
const VERSION = "v2alpha1"; // the storage version: no conversion webhook on the path
const NS = "bench-client";
const PATH = `/apis/${GROUP}/${VERSION}/namespaces/${NS}/apirules`;
const CLIENTS = ["kube", "client-node"] as const;
type Client = typeof CLIENTS[number];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    apirules: { type: "string", default: "1000" },
    "page-size": { type: "string", default: "500" },
    child: { type: "string" },
    server: { type: "string" },
  },
});

if (values.child !== undefined) {
  await runChild(values.child as Client, values.server!, Number(values["page-size"]));
} else {
  const stop = Deno.env.get(CLUSTER_ENV.url) === undefined ? await ownCluster() : async () => {};
  try {
    await compare(Number(values.apirules));
  } finally {
    await stop();
  }
}

async function compare(count: number): Promise<void> {
  const cluster = testCluster();
  await ensureNamespace(cluster, NS);
  await applyAsAdmin(cluster, kymaGateway("client.local"));
  console.error(`Creating ${count} APIRules`);
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < count) {
      const i = next++;
      for (
        const object of [
          service(NS, `svc-${i}`, { app: `app-${i}` }),
          apiRule(NS, `rule-${i}`, {
            host: `r${i}.client.local`,
            service: { name: `svc-${i}` },
            paths: ["/v0"],
          }),
        ]
      ) {
        const response = await applyAsAdmin(cluster, object);
        if (response.status >= 300) throw new Error(response.text);
      }
    }
  }));
  const rows: Record<string, unknown>[] = [];
  try {
    for (const client of CLIENTS) rows.push(await measure(client, cluster, count));
  } finally {
    await cluster.reset();
  }
  console.log(JSON.stringify({ apirules: count, pageSize: Number(values["page-size"]), rows }));
}

async function measure(
  client: Client,
  cluster: { url: string; token: string; caPem: string },
  count: number,
): Promise<Record<string, unknown>> {
  const proxy = countingProxy(cluster);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      new URL(import.meta.url).pathname,
      "--child",
      client,
      "--server",
      proxy.url,
      "--page-size",
      String(values["page-size"]),
      "--apirules",
      String(count),
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines = readLines(child.stdout);
  try {
    const started = await lines.next(); // {"event":"started"}
    if (started.done) throw new Error(`${client} child ended early`);
    const synced = JSON.parse((await lines.next()).value ?? "{}");
    if (synced.objects !== count) throw new Error(`${client} synced ${synced.objects}/${count}`);
    const cpuAtSync = cpuSeconds(child.pid) ?? 0;
    const memory = memoryOf(child.pid);
    const heap = JSON.parse((await lines.next()).value ?? "{}");
    const requestsAtSync = { ...proxy.requests };

    // Cut the watch; the rewatch answers 410 Gone: the client must relist.
    const cutAt = performance.now();
    proxy.goneOnNextWatch();
    await poll(() => proxy.listsSince(cutAt) > 0 && proxy.watching() ? true : undefined, {
      timeoutMs: 120_000,
      intervalMs: 20,
      what: `${client} to relist after 410`,
    });
    const relistMs = performance.now() - cutAt;
    const cpuAfter = cpuSeconds(child.pid) ?? 0;
    return {
      client,
      syncMs: synced.ms,
      cpuSecondsToSync: cpuAtSync,
      rssAfterSyncMiB: mib(memory?.rss ?? 0),
      peakRssMiB: mib(memoryOf(child.pid)?.peak ?? 0),
      heapUsedAfterGcMiB: mib(heap.heapUsed ?? 0),
      requestsToSync: requestsAtSync,
      relistAfter410: {
        ms: Math.round(relistMs),
        lists: proxy.listsSince(cutAt),
        requests: proxy.requestsSince(cutAt),
        cpuSeconds: Number((cpuAfter - cpuAtSync).toFixed(2)),
      },
    };
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await lines.return(undefined);
    await proxy.close();
  }
}

function mib(bytes: number): number {
  return Math.round((bytes / 1048576) * 10) / 10;
}

/**
 * A plain-HTTP proxy to the apiserver with the admin token: counts LIST and WATCH requests, and on
 * `goneOnNextWatch()` ends the open watches and answers the next watch with a 410 ERROR event.
 */
function countingProxy(target: { url: string; token: string; caPem: string }) {
  const http = Deno.createHttpClient({ caCerts: [target.caPem] });
  const log: Array<{ at: number; kind: "LIST" | "WATCH"; done?: number }> = [];
  const open = new Set<ReadableStreamDefaultController<Uint8Array>>();
  let gone = false;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    const watch = url.searchParams.get("watch") === "1" || url.searchParams.get("watch") === "true";
    const entry: { at: number; kind: "LIST" | "WATCH"; done?: number } = {
      at: performance.now(),
      kind: watch ? "WATCH" : "LIST",
    };
    log.push(entry);
    if (watch && gone) {
      gone = false;
      entry.done = performance.now();
      const status = {
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        code: 410,
        reason: "Expired",
      };
      return new Response(JSON.stringify({ type: "ERROR", object: status }) + "\n");
    }
    const upstream = await fetch(`${target.url}${url.pathname}${url.search}`, {
      method: request.method,
      headers: {
        authorization: `Bearer ${target.token}`,
        accept: request.headers.get("accept") ?? "application/json",
      },
      client: http,
    });
    // fetch has decoded a gzip body already: its encoding and length no longer apply.
    const headers = new Headers(upstream.headers);
    headers.delete("content-encoding");
    headers.delete("content-length");
    if (!watch || upstream.body === null) {
      const body = await upstream.arrayBuffer();
      entry.done = performance.now();
      return new Response(body, { status: upstream.status, headers });
    }
    const reader = upstream.body.getReader();
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        open.add(c);
      },
      async pull(c) {
        const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (chunk.done) {
          open.delete(c);
          try {
            c.close();
          } catch { /* closed by a cut */ }
        } else c.enqueue(chunk.value);
      },
      cancel() {
        if (controller !== undefined) open.delete(controller);
        void reader.cancel().catch(() => {});
      },
    });
    return new Response(body, { status: upstream.status, headers });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    get requests() {
      return {
        lists: log.filter((e) => e.kind === "LIST").length,
        watches: log.filter((e) => e.kind === "WATCH").length,
      };
    },
    goneOnNextWatch() {
      gone = true;
      for (const c of open) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
      open.clear();
    },
    listsSince: (at: number) =>
      log.filter((e) => e.kind === "LIST" && e.at >= at && e.done !== undefined).length,
    requestsSince: (at: number) => log.filter((e) => e.at >= at).length,
    /** Whether a watch opened after the last completed list. */
    watching() {
      const lastList = log.findLast((e) => e.kind === "LIST" && e.done !== undefined);
      return lastList !== undefined &&
        log.some((e) => e.kind === "WATCH" && e.at >= (lastList.done ?? Infinity));
    },
    async close() {
      for (const c of open) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
      await server.shutdown();
      http.close();
    },
  };
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf("\n")) !== -1) {
      yield buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
    }
  }
}

/** The child: syncs through one client, reports, then keeps watching until killed. */
async function runChild(client: Client, server: string, pageSize: number): Promise<void> {
  const expected = Number(values.apirules);
  const say = (value: unknown) => console.log(JSON.stringify(value));
  say({ event: "started" });
  const started = performance.now();
  let size: () => number;
  if (client === "kube") {
    const { createKubeClient } = await import("../kube/client.ts");
    const { Informer } = await import("../kube/informer.ts");
    const { resourceType } = await import("../kube/resources.ts");
    const { createLogger } = await import("../lib/log.ts");
    const kube = createKubeClient({
      server,
      caPem: undefined,
      clientCert: undefined,
      token: () => Promise.resolve(undefined),
    });
    const informer = new Informer(kube, {
      type: resourceType(GROUP, "APIRule"),
      namespace: NS,
      pageSize,
    }, createLogger({ level: "error", write: () => {} }));
    void informer.run(new AbortController().signal);
    size = () => informer.store.size;
  } else {
    const k8s = await import("@kubernetes/client-node");
    const config = new k8s.KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: "bench", server, skipTLSVerify: true }],
      users: [{ name: "bench" }],
      contexts: [{ name: "bench", cluster: "bench", user: "bench" }],
      currentContext: "bench",
    });
    const api = config.makeApiClient(k8s.CustomObjectsApi);
    // The library's informer lists in one call; pagination is the caller's, as here.
    const list = async () => {
      const items: KubernetesObject[] = [];
      let token: string | undefined;
      let resourceVersion = "";
      do {
        const page = await api.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: NS,
          plural: "apirules",
          limit: pageSize,
          ...(token === undefined ? {} : { _continue: token }),
        }) as {
          items: KubernetesObject[];
          metadata?: { continue?: string; resourceVersion?: string };
        };
        items.push(...page.items);
        token = page.metadata?.continue || undefined;
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      } while (token !== undefined);
      return { items, metadata: { resourceVersion } } as KubernetesListObject<
        KubernetesObject
      >;
    };
    const informer = k8s.makeInformer(config, PATH, list);
    informer.on("error", (error) => {
      console.error(`client-node informer error: ${error}`);
      // The library stops on errors other than 410; restart as its docs advise.
      setTimeout(() => void informer.start(), 1_000);
    });
    await informer.start();
    size = () => informer.list().length;
  }
  const deadline = Date.now() + 600_000;
  while (size() < expected) {
    if (Date.now() > deadline) throw new Error(`${client}: ${size()}/${expected} after 10 min`);
    await new Promise((r) => setTimeout(r, 10));
  }
  say({ event: "synced", ms: Math.round(performance.now() - started), objects: size() });
  (globalThis as { gc?: () => void }).gc?.();
  say({ event: "memory", heapUsed: Deno.memoryUsage().heapUsed });
  await new Promise(() => {});
}
