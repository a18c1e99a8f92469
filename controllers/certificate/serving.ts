/**
 * Every replica's side of the certificate (docs/spec/certificate.md §6 weak spot fixed): whatever the
 * Secret holds is verified and loaded into this replica's webhook server on each change, leader
 * or not. A Secret that is deleted or holds a broken pair leaves the last good pair served.
 */
import type { Logger } from "../../lib/log.ts";
import type { ObjectStore } from "../../kube/store.ts";
import type { CertificateMaterial } from "./controller.ts";
import { certificateSecretOf } from "./secret.ts";

export interface ServingServer {
  load(pair: { certPem: string; keyPem: string }): Promise<void>;
  readonly current: { certPem: string; keyPem: string } | undefined;
}

/** A function that (re)loads the Secret named `name` from `store` into `server`, one at a time. */
export function certificateLoader(options: {
  store: ObjectStore;
  ref: { namespace: string; name: string };
  server: ServingServer;
  material: CertificateMaterial;
  log: Logger;
  now: () => Date;
}): () => Promise<void> {
  const { server, log } = options;
  let chain = Promise.resolve();
  let rejected = "";
  async function loadOnce(): Promise<void> {
    const secret = options.store.get(options.ref.namespace, options.ref.name);
    if (secret === undefined) return;
    const { tlsCrt, tlsKey } = certificateSecretOf(secret);
    if (tlsCrt === undefined || tlsKey === undefined) return;
    const current = server.current;
    if (current?.certPem === tlsCrt && current.keyPem === tlsKey) return;
    const verdict = await options.material.verify(tlsCrt, tlsKey, options.now());
    if (!verdict.valid) {
      if (rejected !== tlsCrt) {
        log.warn("Kept the served webhook certificate", { reason: verdict.reason });
        rejected = tlsCrt;
      }
      return;
    }
    try {
      await server.load({ certPem: tlsCrt, keyPem: tlsKey });
      log.info("Loaded webhook certificate", { notAfter: verdict.notAfter.toISOString() });
    } catch (error) {
      log.error("Failed to load webhook certificate", { error });
    }
  }
  return () => {
    chain = chain.then(loadOnce);
    return chain;
  };
}
