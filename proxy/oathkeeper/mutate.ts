/**
 * The mutate step of a v1beta1 rule (Oathkeeper's mutators) after its access strategies
 * authenticated a session: the upstream headers and cookies, and an `id_token` signed by this
 * process when a mutator asks for one.
 */
import { allow, deny } from "../../core/authz/decision.ts";
import { mergeCookies, renderMutators } from "../../core/authz/oathkeeper/mutators.ts";
import type { CompiledRule } from "../../core/authz/rule.ts";
import type { CheckInput, Outcome } from "../outcome.ts";
import type { IdTokenSigner } from "./id_token.ts";
import type { Session } from "./session.ts";

/** The allow outcome of `rule` for `s`, with the rendered upstream headers, or a 500 deny. */
export function mutateSession(
  rule: CompiledRule,
  s: Session,
  input: CheckInput,
  signer: IdTokenSigner,
): Outcome | Promise<Outcome> {
  if (rule.auth.kind !== "accessStrategies") {
    throw new TypeError(`Rule "${rule.id}" has no access strategies`);
  }
  const sessionInfo = { handler: s.handler, subject: s.subject };
  const rendered = renderMutators(rule.auth.mutators, {
    subject: s.subject,
    extra: s.extra,
    match: { method: input.request.method, host: input.request.host, path: input.request.path },
  });
  if (!rendered.ok) {
    return {
      decision: deny("headers", 500, "mutator_failed", { detail: rendered.error }),
      rule,
      session: sessionInfo,
    };
  }
  const headers: Record<string, string> = { ...rendered.value.headers };
  if (rendered.value.cookies.length > 0) {
    headers.cookie = mergeCookies(input.headers.get("cookie"), rendered.value.cookies);
  }
  const done = (): Outcome => ({
    decision: allow("authenticate", s.reason, headers),
    rule,
    session: sessionInfo,
  });
  const idToken = rendered.value.idToken;
  if (idToken === undefined) return done();
  return signer.sign(idToken.claims, {
    issuer: idToken.issuer,
    subject: s.subject,
    ttlSeconds: idToken.ttlSeconds,
  }).then((jwt) => {
    headers.authorization = `Bearer ${jwt}`;
    return done();
  });
}
