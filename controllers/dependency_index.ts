/**
 * A reverse index from dependency keys to the CRs that depend on them, kept current from the
 * CR informer, so that a dependency's event requeues exactly the CRs that read it.
 */
export class DependencyIndex {
  readonly #byDependency = new Map<string, Set<string>>();
  readonly #byOwner = new Map<string, readonly string[]>();

  /** Records the dependencies of `owner` (replacing the previous ones); none: forget it. */
  set(owner: string, dependencies: readonly string[]): void {
    for (const key of this.#byOwner.get(owner) ?? []) {
      const owners = this.#byDependency.get(key);
      owners?.delete(owner);
      if (owners?.size === 0) this.#byDependency.delete(key);
    }
    if (dependencies.length === 0) {
      this.#byOwner.delete(owner);
      return;
    }
    this.#byOwner.set(owner, dependencies);
    for (const key of dependencies) {
      const owners = this.#byDependency.get(key) ?? new Set<string>();
      owners.add(owner);
      this.#byDependency.set(key, owners);
    }
  }

  /** The owners that depend on any of `keys`. */
  dependents(keys: Iterable<string>): Set<string> {
    const found = new Set<string>();
    for (const key of keys) for (const owner of this.#byDependency.get(key) ?? []) found.add(owner);
    return found;
  }
}
