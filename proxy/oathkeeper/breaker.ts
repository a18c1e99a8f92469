/**
 * A circuit breaker per remote endpoint: after `failureThreshold` failures in a row the endpoint
 * is not called for `openMs`; then one trial call decides whether it closes again. Callers fail
 * fast while it is open instead of stacking timeouts on a dead IdP (docs/spec/dataplane.md §9 item 5).
 */

export interface BreakerOptions {
  failureThreshold?: number;
  openMs?: number;
  now?: () => number;
}

export interface CircuitBreaker {
  /** Whether a call to `key` may go out now (a half-open trial counts as one). */
  allow(key: string): boolean;
  success(key: string): void;
  failure(key: string): void;
  state(key: string): "closed" | "open" | "half-open";
}

interface Circuit {
  failures: number;
  openUntil: number;
  trial: boolean;
}

/** Creates the breaker; state is kept per key (an endpoint URL). */
export function createBreaker(options: BreakerOptions = {}): CircuitBreaker {
  const threshold = options.failureThreshold ?? 5;
  const openMs = options.openMs ?? 5_000;
  const now = options.now ?? Date.now;
  const circuits = new Map<string, Circuit>();
  function circuit(key: string): Circuit {
    let c = circuits.get(key);
    if (c === undefined) circuits.set(key, c = { failures: 0, openUntil: 0, trial: false });
    return c;
  }
  return {
    allow(key) {
      const c = circuits.get(key);
      if (c === undefined || c.failures < threshold) return true;
      if (now() < c.openUntil || c.trial) return false;
      c.trial = true;
      return true;
    },
    success(key) {
      circuits.delete(key);
    },
    failure(key) {
      const c = circuit(key);
      c.failures++;
      c.trial = false;
      if (c.failures >= threshold) c.openUntil = now() + openMs;
    },
    state(key) {
      const c = circuits.get(key);
      if (c === undefined || c.failures < threshold) return "closed";
      return now() < c.openUntil || c.trial ? "open" : "half-open";
    },
  };
}
