import assert from "node:assert/strict";
import type { KubeObject } from "../../api/meta.ts";
import type { GeneratedMaterial } from "../../core/apigateway/generated.ts";
import { KubeError } from "../../kube/errors.ts";
import { fits, generateMaterial, withGeneratedData } from "./generated_secrets.ts";

const NOW = new Date("2026-01-01T00:00:00Z");
const TLS: GeneratedMaterial = { kind: "SelfSignedTLS", dnsNames: ["*.local.kyma.dev"] };
const JWKS: GeneratedMaterial = { kind: "JWKS" };

Deno.test("generateMaterial() makes data that fits what it was made for", async (t) => {
  await t.step("a JWKS with one private RSA signing key", async () => {
    const data = await generateMaterial(JWKS, NOW);
    const set = JSON.parse(atob(data["jwks.json"]!));
    assert.equal(set.keys.length, 1);
    const key = set.keys[0];
    assert.deepEqual([key.kty, key.alg, key.use], ["RSA", "RS256", "sig"]);
    assert.match(key.kid, /^[0-9a-f-]{36}$/);
    assert.equal(typeof key.d, "string");
    assert.equal(key.x5c, undefined);
    assert.equal(await fits(data, JWKS, NOW), true);
  });
  await t.step("a self-signed certificate for the DNS names", async () => {
    const data = await generateMaterial(TLS, NOW);
    assert.match(atob(data["tls.crt"]!), /^-----BEGIN CERTIFICATE-----/);
    assert.match(atob(data["tls.key"]!), /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(await fits(data, TLS, NOW), true);
    assert.equal(
      await fits(data, { ...TLS, dnsNames: ["*.example.com"] }, NOW),
      false,
      "other names",
    );
    const late = new Date(NOW.getTime() + 3 * 365 * 24 * 3600 * 1000);
    assert.equal(await fits(data, TLS, late), false, "about to expire");
  });
});

Deno.test("fits() rejects data that is missing or broken", async (t) => {
  const cases: Array<[string, Record<string, string>, GeneratedMaterial]> = [
    ["no JWKS", {}, JWKS],
    ["a JWKS that is not JSON", { "jwks.json": btoa("{") }, JWKS],
    [
      "a JWKS without a private key",
      { "jwks.json": btoa('{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}') },
      JWKS,
    ],
    ["no certificate", { "tls.key": btoa("-----BEGIN PRIVATE KEY-----") }, TLS],
  ];
  for (const [name, data, material] of cases) {
    await t.step(name, async () => assert.equal(await fits(data, material, NOW), false));
  }
});

Deno.test("withGeneratedData() keeps fitting data, replaces the rest and skips unreadable Secrets", async () => {
  const kept = await generateMaterial(JWKS, NOW);
  const secret = (name: string): KubeObject => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "kyma-system" },
    type: "Opaque",
  });
  const result = await withGeneratedData(
    [secret("keep"), secret("renew"), secret("unreadable"), {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "x" },
    }],
    ["keep", "renew", "unreadable"].map((name) => ({
      namespace: "kyma-system",
      name,
      material: JWKS,
    })),
    {
      now: NOW,
      read: (_namespace, name) => {
        if (name === "keep") {
          return Promise.resolve({ ok: true, value: { ...secret(name), data: kept } });
        }
        if (name === "renew") return Promise.resolve({ ok: true, value: undefined });
        return Promise.resolve({ ok: false, error: new KubeError("Forbidden", "forbidden") });
      },
    },
  );
  assert.deepEqual(result.objects.map((o) => o.metadata.name), ["keep", "renew", "x"]);
  assert.deepEqual(result.objects[0]!.data, kept);
  assert.notDeepEqual(result.objects[1]!.data, kept);
  assert.deepEqual(result.failures.map((f) => f.object.metadata.name), ["unreadable"]);
});
