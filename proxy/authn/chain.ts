/**
 * The authenticator chain of every rule (Oathkeeper's `pipeline/authn`, STYLE §8): authenticators
 * are tried in order; one that finds no credential of its kind is "not responsible" and the next
 * is tried; the first responsible one decides (an identity, or a deny that ends the chain); when
 * none is responsible the rule's own deny answers. APIRule v2 rules (`pipeline.ts`: noAuth,
 * jwt, extAuth) and v1beta1 access strategies (`oathkeeper/engine.ts`) both run through here.
 */
import type { Deny } from "../../core/authz/decision.ts";

export const NOT_RESPONSIBLE = "not_responsible";

/** What one authenticator answers. */
export type AuthnStep<S> = S | Deny | typeof NOT_RESPONSIBLE;

/**
 * Runs `authenticate` over `authenticators` in order. Synchronous as long as every authenticator
 * tried answers synchronously (cached tokens, anonymous rules): the hot path takes no promise.
 */
export function runChain<A, S>(
  authenticators: readonly A[],
  authenticate: (authenticator: A) => AuthnStep<S> | Promise<AuthnStep<S>>,
  noneResponsible: () => Deny,
): S | Deny | Promise<S | Deny> {
  const next = (i: number): S | Deny | Promise<S | Deny> => {
    const authenticator = authenticators[i];
    if (authenticator === undefined) return noneResponsible();
    const step = authenticate(authenticator);
    return step instanceof Promise ? step.then(settle) : settle(step);
    function settle(settled: AuthnStep<S>): S | Deny | Promise<S | Deny> {
      return settled === NOT_RESPONSIBLE ? next(i + 1) : settled;
    }
  };
  return next(0);
}
