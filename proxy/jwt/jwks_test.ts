import assert from "node:assert/strict";
import { startIdp } from "../../tests/authz/idp.ts";
import { poll } from "../../tests/poll.ts";
import { createMetrics } from "../metrics.ts";
import { createJwksManager, type JwksOptions } from "./jwks.ts";

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

async function withManager(
  fn: (ctx: {
    idp: Awaited<ReturnType<typeof startIdp>>;
    jwks: ReturnType<typeof createJwksManager>;
    time: ReturnType<typeof clock>;
    metrics: ReturnType<typeof createMetrics>;
  }) => Promise<void>,
  options: JwksOptions = {},
) {
  await using idp = await startIdp();
  const time = clock();
  const metrics = createMetrics();
  const jwks = createJwksManager({ now: time.now, observer: metrics, ...options });
  try {
    await fn({ idp, jwks, time, metrics });
  } finally {
    await jwks.close();
  }
}

Deno.test("DP-JWKS-1 serves the last good keys while refreshing, until the stale bound", async () => {
  await withManager(async ({ idp, jwks, time }) => {
    assert.equal((await jwks.keys(idp.jwksUri)).ok, true);
    assert.equal(idp.fetches, 1);
    time.advance(1_000);
    assert.equal((await jwks.keys(idp.jwksUri)).ok, true);
    assert.equal(idp.fetches, 1, "a fresh set is not refetched");
    idp.mode = "error";
    time.advance(60_000);
    const stale = await jwks.keys(idp.jwksUri);
    assert.equal(stale.ok, true, "stale keys are served while the refresh fails");
    await jwks.keys(idp.jwksUri);
    await waitFor(() => idp.fetches >= 2);
    time.advance(3_600_000 + 1);
    const expired = await jwks.keys(idp.jwksUri);
    assert.equal(expired.ok, false, "past maxStale the manager fails closed");
    idp.mode = "ok";
    time.advance(600_000);
    assert.equal((await jwks.keys(idp.jwksUri)).ok, true, "recovers once the IdP answers");
  }, { refreshMs: 30_000, maxStaleMs: 3_600_000, minBackoffMs: 10, maxBackoffMs: 10 });
});

Deno.test("DP-JWKS-1 refetches once per cooldown on unknown kids, failed fetches included", async () => {
  await withManager(async ({ idp, jwks, time }) => {
    await jwks.keys(idp.jwksUri);
    const kid = await idp.rotate();
    assert.equal(await jwks.refreshForUnknownKid(idp.jwksUri, kid), undefined);
    assert.equal(idp.fetches, 1, "no refetch right after a fetch (jose's cooldown too)");
    time.advance(30_001);
    assert.equal((await jwks.refreshForUnknownKid(idp.jwksUri, kid))?.kids.has(kid), true);
    assert.equal(idp.fetches, 2, "one refetch for the rotated key");
    time.advance(60_001);
    assert.equal(await jwks.refreshForUnknownKid(idp.jwksUri, "nope-1"), undefined);
    assert.equal(idp.fetches, 3);
    assert.equal(await jwks.refreshForUnknownKid(idp.jwksUri, "nope-2"), undefined);
    assert.equal(idp.fetches, 3, "§8 #30: no refetch inside the cooldown");
    time.advance(30_001);
    assert.equal(await jwks.refreshForUnknownKid(idp.jwksUri, "nope-1"), undefined);
    assert.equal(idp.fetches, 3, "an unknown kid is cached negatively");
    idp.mode = "error";
    time.advance(60_001);
    assert.equal(await jwks.refreshForUnknownKid(idp.jwksUri, "a"), undefined);
    assert.equal(await jwks.refreshForUnknownKid(idp.jwksUri, "b"), undefined);
    assert.equal(idp.fetches, 4, "a failed fetch starts the cooldown too");
  }, { cooldownMs: 30_000, unknownKidTtlMs: 60_000 });
});

Deno.test("DP-JWKS-1 caps what an IdP may answer (§8 #29)", async (t) => {
  for (const mode of ["error", "html", "redirect", "huge", "hang"] as const) {
    await t.step(mode, async () => {
      await withManager(async ({ idp, jwks }) => {
        idp.mode = mode;
        const result = await jwks.keys(idp.jwksUri);
        assert.equal(result.ok, false);
        assert.equal(idp.fetches, 1, "no redirect is followed");
      }, { timeoutMs: 200 });
    });
  }
  await t.step("plain http outside the cluster", async () => {
    await withManager(async ({ jwks }) => {
      const result = await jwks.keys("http://idp.example.com/jwks");
      assert.deepEqual(result, {
        ok: false,
        error: 'JWKS URI "http://idp.example.com/jwks" must use https outside the cluster',
      });
    });
  });
});

Deno.test("DP-JWKS-1 backs off after a failed first fetch", async () => {
  await withManager(async ({ idp, jwks, time }) => {
    idp.mode = "error";
    assert.equal((await jwks.keys(idp.jwksUri)).ok, false);
    assert.equal((await jwks.keys(idp.jwksUri)).ok, false);
    assert.equal(idp.fetches, 1);
    idp.mode = "ok";
    time.advance(1_001);
    assert.equal((await jwks.keys(idp.jwksUri)).ok, true);
  }, { minBackoffMs: 1_000 });
});

Deno.test("DP-JWKS-1 honours Cache-Control max-age and reports metrics", async () => {
  await withManager(async ({ idp, jwks, time, metrics }) => {
    idp.headers = { "cache-control": "max-age=5" };
    await jwks.keys(idp.jwksUri);
    time.advance(5_001);
    await jwks.keys(idp.jwksUri);
    await waitFor(() => idp.fetches === 2);
    const text = metrics.render();
    assert.match(text, /apigw_jwks_fetches_total\{jwks_uri="[^"]+",result="ok"\} \d/);
    assert.match(text, /apigw_jwks_keys\{jwks_uri="[^"]+"\} 1/);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  await poll(() => condition() || undefined, {
    timeoutMs: 5_000,
    intervalMs: 5,
    what: "JWKS fetch",
  });
}

Deno.test("DP-JWKS-1 item 5 finds the keys of an issuer by OpenID Connect discovery", async () => {
  await withManager(async ({ idp, jwks, time }) => {
    const found = await jwks.discover(idp.issuer);
    assert.deepEqual(found, { ok: true, jwksUri: idp.jwksUri });
    assert.equal((await jwks.keys(idp.jwksUri)).ok, true, "the same manager serves the keys");
    await jwks.discover(idp.issuer);
    assert.equal(idp.discoveries, 1, "the document is cached like a key set");
    idp.mode = "error";
    time.advance(30_001);
    assert.deepEqual(await jwks.discover(idp.issuer), found, "last good answer while down");
    await waitFor(() => idp.discoveries === 2);
    time.advance(3_600_001);
    const stale = await jwks.discover(idp.issuer);
    assert.equal(stale.ok, false, "past maxStale discovery fails closed");
  }, { refreshMs: 30_000, maxStaleMs: 3_600_000, minBackoffMs: 10, maxBackoffMs: 10 });
});

Deno.test("DP-JWKS-1 item 5 rejects a discovery document about another issuer", async (t) => {
  const cases: [string, (base: string) => Record<string, unknown>, RegExp][] = [
    ["other issuer", (b) => ({ issuer: `${b}/evil`, jwks_uri: `${b}/jwks` }), /names issuer/],
    ["no jwks_uri", (b) => ({ issuer: b }), /no jwks_uri/],
    [
      "plain http outside the cluster",
      (b) => ({ issuer: b, jwks_uri: "http://keys.example.com/jwks" }),
      /must use https/,
    ],
  ];
  for (const [name, document, message] of cases) {
    await t.step(name, async () => {
      await withManager(async ({ idp, jwks }) => {
        idp.discoveryDocument = document(idp.issuer);
        const found = await jwks.discover(idp.issuer);
        assert.equal(found.ok, false);
        assert.match(found.ok ? "" : found.error, message);
      });
    });
  }
});
