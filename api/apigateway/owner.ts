/**
 * The APIGateway that represents the module (docs/spec/apigateway.md §2): the oldest by
 * `creationTimestamp`; among equally old ones (one-second resolution) the first by name
 * ([tightened]; upstream's pick is arbitrary). One without a timestamp has not been stored yet
 * (render input) and counts as the newest. The APIGateway and RateLimit reconciles and
 * `validate` all decide with this one function.
 */

export interface Age {
  name: string;
  creationTimestamp?: string | undefined;
}

/** The owner among `items`, or undefined when there is none. */
export function oldestOf<T>(items: readonly T[], age: (item: T) => Age): T | undefined {
  let owner: T | undefined;
  for (const item of items) {
    if (owner === undefined || isOlder(age(item), age(owner))) owner = item;
  }
  return owner;
}

function isOlder(a: Age, b: Age): boolean {
  const ta = created(a);
  const tb = created(b);
  if (ta !== tb) return ta < tb;
  return a.name < b.name;
}

function created(age: Age): number {
  const time = age.creationTimestamp === undefined ? NaN : Date.parse(age.creationTimestamp);
  return Number.isNaN(time) ? Number.POSITIVE_INFINITY : time;
}
