/** Free loopback ports, and retrying a start that lost the race for one. */

/** A port that was free a moment ago: bind 127.0.0.1:0, read the port, close the socket. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Thrown by a start function whose process died with "address already in use". */
export class PortInUseError extends Error {
  override name = "PortInUseError";
}

/** Tells whether a process log shows a lost port race. */
export function showsPortInUse(log: string): boolean {
  return /address already in use/i.test(log);
}

/**
 * Runs `start` up to `attempts` times (3 by default) while it fails with `PortInUseError`.
 *
 * Another process may grab a port between `freePort()` and the bind, so a retry picks new ports.
 */
export async function retryOnPortInUse<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
      console.error(`${error.message}; retrying with new ports (${attempt}/${attempts})`);
    }
  }
}
