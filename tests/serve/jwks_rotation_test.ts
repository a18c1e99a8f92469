/**
 * A JWKS rotation seen by `apigw serve` and `apigw authz` on one folder: a token signed by a
 * freshly rotated key is accepted by both within the unknown-kid refetch cooldown (30 s), twice
 * in a row (the soak smoke saw serve refuse such tokens for long stretches; bench/README.md
 * "soak"). Both front ends share one JWT authenticator, so they must agree.
 */
import assert from "node:assert/strict";
import { poll } from "../poll.ts";
import { http1 } from "../authz/http1.ts";
import { startIdp } from "../authz/idp.ts";
import { startAuthz } from "../authz/run_authz.ts";
import { GATEWAY } from "../../core/authz/_testing.ts";
import { apiRule, startGateway, startUpstream, upstreamService } from "./_gateway.ts";

const HOST = "api.local.kyma.dev";
const POD = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "upstream-0",
    namespace: "test",
    labels: { app: "upstream" },
    annotations: { "sidecar.istio.io/status": "{}" },
  },
  spec: { containers: [{ name: "upstream" }, { name: "istio-proxy" }] },
  status: { podIP: "127.0.0.1", podIPs: [{ ip: "127.0.0.1" }] },
};

function selecting(service: { spec: Record<string, unknown> }) {
  return { ...service, spec: { ...service.spec, selector: { app: "upstream" } } };
}
/** The cooldown of `createJwksManager` (30 s) plus room for a busy machine. */
const ACCEPTED_WITHIN_MS = 50_000;

Deno.test("apigw serve and apigw authz accept a rotated key within the refetch cooldown", async () => {
  await using idp = await startIdp();
  await using upstream = await startUpstream();
  const jwt = { authentications: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }] };
  await using gateway = await startGateway({
    "service.json": JSON.stringify(selecting(JSON.parse(upstreamService(upstream.port)))),
    // `apigw authz` checks the host against the Gateway and the Service's Pods for a sidecar.
    "gateway.json": JSON.stringify(GATEWAY),
    "pod.json": JSON.stringify(POD),
    "api.json": apiRule("api", { host: HOST, port: upstream.port }, [
      { path: "/*", methods: ["GET"], jwt },
    ]),
  });
  await using authz = await startAuthz(["--config", gateway.dir]);
  type Front = "serve" | "authz";
  const statusOf: Record<Front, (token: string) => Promise<number>> = {
    serve: async (token: string) => {
      const response = await gateway.fetch(`http://${HOST}/x`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await response.body?.cancel();
      return response.status;
    },
    authz: async (token: string) =>
      (await http1(authz.checkUrl, "/x", {
        headers: { host: HOST, authorization: `Bearer ${token}` },
      })).status,
  };
  const first = await idp.sign();
  async function accepted(name: string, token: string, timeoutMs: number): Promise<void> {
    let last = 0;
    await poll(async () => (last = await statusOf[name as Front](token)) === 200 || undefined, {
      timeoutMs,
      intervalMs: 250,
      what: `${name} to accept the token`,
    }).catch((error) => {
      throw new Error(`${error.message}; last status ${last}`);
    });
  }
  for (const name of Object.keys(statusOf)) await accepted(name, first, 10_000);
  for (const rotation of [1, 2]) {
    await idp.rotate();
    const token = await idp.sign();
    const rotated = performance.now();
    const waited = await Promise.all(
      Object.keys(statusOf).map(async (name) => {
        await accepted(name, token, ACCEPTED_WITHIN_MS).catch((error) => {
          throw new Error(`Rotation ${rotation}: ${error.message}`);
        });
        return `${name} ${Math.round(performance.now() - rotated)} ms`;
      }),
    );
    assert.equal(waited.length, 2, waited.join(", "));
  }
});
