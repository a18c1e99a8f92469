/**
 * The decision deadline the JWKS manager and the remote access strategies race their fetches
 * against: a timer exists only while a caller actually waits, never on the cached path.
 */

/** When the caller must have its answer, on the `performance.now()` clock. */
export interface Deadline {
  at: number;
}

/** What a fetch raced against a deadline answers when the deadline passed first. */
export type Late = { ok: false; error: string; late: true };

/** `work`, or the `late` answer once `deadline` passes first. */
export function raceDeadline<T extends { ok: boolean }>(
  work: Promise<T>,
  deadline: Deadline | undefined,
): Promise<T | Late> {
  if (deadline === undefined) return work;
  const late: Late = { ok: false, error: "Decision deadline passed", late: true };
  const remaining = deadline.at - performance.now();
  if (remaining <= 0) return Promise.resolve(late);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(late), remaining);
    work.then((result) => {
      clearTimeout(timer);
      resolve(result);
    });
  });
}
