/**
 * The runner's control endpoint: lets tests ask the process that owns the cluster to reset it or
 * restart kube-apiserver. `POST /reset`, `POST /restart-apiserver` and `POST /keep` answer 200 with JSON when
 * done, 500 with the error message otherwise. Requests run one at a time.
 */

export interface ControlActions {
  reset(): Promise<unknown>;
  restartApiserver(): Promise<unknown>;
  /** Makes every namespaced object present now survive later resets. */
  keep(): Promise<unknown>;
}

export interface ControlServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the control endpoint on a free loopback port. */
export function serveControl(actions: ControlActions): ControlServer {
  const routes: Record<string, () => Promise<unknown>> = {
    "/reset": () => actions.reset(),
    "/restart-apiserver": () => actions.restartApiserver(),
    "/keep": () => actions.keep(),
  };
  let queue: Promise<unknown> = Promise.resolve();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const action = routes[new URL(request.url).pathname];
      if (action === undefined) return Response.json({ error: "Not found" }, { status: 404 });
      if (request.method !== "POST") {
        return Response.json({ error: "Use POST" }, { status: 405 });
      }
      const run = queue.then(action);
      queue = run.catch(() => {});
      try {
        return Response.json(await run ?? {});
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        console.error(`Control request ${new URL(request.url).pathname} failed: ${message}`);
        return Response.json({ error: message }, { status: 500 });
      }
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}
