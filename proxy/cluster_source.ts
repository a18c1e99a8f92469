/**
 * The cluster rule source: list+watch of APIRules (storage version, so no conversion call per
 * event) and Istio Gateways (short hosts take their domain), RateLimits and Pods (the global
 * limits of the workload at a check's peer address) through kube/ informers; after all have
 * synced, every change burst yields one snapshot of all objects.
 */
import type { Logger } from "../lib/log.ts";
import type { KubeClient } from "../kube/client.ts";
import { Informer } from "../kube/informer.ts";
import { resourceType } from "../kube/resources.ts";
import type { RuleSource } from "./rule_source.ts";

/** A source over the cluster `client` talks to. */
export function clusterSource(
  client: KubeClient,
  log: Logger,
  options: { debounceMs?: number } = {},
): RuleSource {
  const debounceMs = options.debounceMs ?? 50;
  return {
    async run(onSnapshot, signal) {
      const informers = [
        new Informer(client, { type: resourceType("gateway.kyma-project.io", "APIRule") }, log),
        new Informer(client, { type: resourceType("networking.istio.io", "Gateway") }, log),
        new Informer(client, { type: resourceType("gateway.kyma-project.io", "RateLimit") }, log),
        new Informer(client, { type: resourceType("", "Pod") }, log),
      ];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const emit = () => {
        if (signal.aborted || !informers.every((i) => i.synced)) return;
        onSnapshot({
          ok: true,
          independent: true,
          objects: informers.flatMap((i) => [...i.store.list()]),
        });
      };
      const schedule = () => {
        clearTimeout(timer);
        timer = setTimeout(emit, debounceMs);
      };
      for (const informer of informers) informer.onChange(schedule);
      const running = informers.map((informer) => informer.run(signal));
      await Promise.all(informers.map((informer) => informer.waitSynced(signal)));
      emit();
      await Promise.all(running);
      clearTimeout(timer);
    },
  };
}
