/**
 * A small Chrome DevTools Protocol client over Deno's WebSocket: one page target, its commands
 * (`Page.navigate`, `Runtime.evaluate`, `Page.captureScreenshot`) and the load event.
 */

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(error: Error): void;
}

export interface CdpPage extends AsyncDisposable {
  send(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Navigates and waits for the page's load event. */
  navigate(url: string): Promise<void>;
  /** Evaluates `expression` in the page (promises awaited) and answers its JSON value. */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** A PNG of the viewport, written to `path`. */
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens a new page target (`PUT /json/new`) and connects to it. */
export async function openPage(
  devtoolsOrigin: string,
  viewport = { width: 1280, height: 900 },
): Promise<CdpPage> {
  const response = await fetch(`${devtoolsOrigin}/json/new?about:blank`, { method: "PUT" });
  if (!response.ok) throw new Error(`DevTools /json/new answered ${response.status}`);
  const target = await response.json() as { id: string; webSocketDebuggerUrl: string };
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error("Cannot connect to the page's DevTools socket"));
  });
  const closed = new Promise<void>((resolve) => socket.addEventListener("close", () => resolve()));
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const waiters = new Map<string, Set<() => void>>();
  socket.onmessage = (message) => {
    const data = JSON.parse(String(message.data));
    if (typeof data.id === "number") {
      const call = pending.get(data.id);
      pending.delete(data.id);
      if (data.error !== undefined) call?.reject(new Error(JSON.stringify(data.error)));
      else call?.resolve(data.result ?? {});
    } else if (typeof data.method === "string") {
      for (const wake of waiters.get(data.method) ?? []) wake();
    }
  };
  socket.onclose = () => {
    for (const call of pending.values()) call.reject(new Error("DevTools socket closed"));
    pending.clear();
  };

  function send(method: string, params: Record<string, unknown> = {}) {
    const id = nextId++;
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  }

  function once(event: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const set = waiters.get(event) ?? new Set();
      waiters.set(event, set);
      const timer = setTimeout(() => {
        set.delete(wake);
        reject(new Error(`No ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        resolve();
      };
      set.add(wake);
    });
  }

  await send("Page.enable");
  await send("Runtime.enable");
  await send("Emulation.setDeviceMetricsOverride", {
    ...viewport,
    deviceScaleFactor: 1,
    mobile: false,
  });

  async function close() {
    if (socket.readyState === WebSocket.OPEN) socket.close();
    await closed;
    await fetch(`${devtoolsOrigin}/json/close/${target.id}`).then((r) => r.body?.cancel())
      .catch(() => {});
  }

  return {
    send,
    async navigate(url) {
      const loaded = once("Page.loadEventFired", 15_000);
      const result = await send("Page.navigate", { url });
      if (typeof result.errorText === "string") {
        loaded.catch(() => {});
        throw new Error(`Cannot navigate to ${url}: ${result.errorText}`);
      }
      await loaded;
    },
    async evaluate<T>(expression: string) {
      const result = await send("Runtime.evaluate", {
        expression,
        awaitPromise: true,
        returnByValue: true,
      });
      if (result.exceptionDetails !== undefined) {
        throw new Error(`Page script failed: ${JSON.stringify(result.exceptionDetails)}`);
      }
      return (result.result as { value: T }).value;
    },
    async screenshot(path) {
      const { data } = await send("Page.captureScreenshot", { format: "png" });
      const bytes = Uint8Array.from(atob(String(data)), (c) => c.charCodeAt(0));
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeFile(path, bytes);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
