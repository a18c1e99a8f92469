import assert from "node:assert/strict";
import { nextCertificateStep, pemBlocks, trustBundle } from "./plan.ts";

const pem = (name: string) => `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`;
const LEAF = pem("leaf");
const CA = pem("ca");
const OLD_CA = pem("old-ca");
const NOW = new Date("2026-01-01T12:00:00Z");
const TARGETS = ["crd", "mutating", "validating"];

function injected(bundle: string | undefined) {
  return Object.fromEntries(TARGETS.map((t) => [t, bundle]));
}

Deno.test("nextCertificateStep() creates a missing or incomplete Secret", async (t) => {
  for (
    const [name, secret] of [["missing", undefined], ["no key", { tlsCrt: LEAF + CA }]] as const
  ) {
    await t.step(name, () => {
      const step = nextCertificateStep({
        secret,
        valid: false,
        injected: {},
        now: NOW,
        overlapMs: 60_000,
      });
      assert.deepEqual(step, { kind: "create" });
    });
  }
});

Deno.test("nextCertificateStep() rotates an invalid pair, keeping its CA for the overlap", () => {
  const step = nextCertificateStep({
    secret: { tlsCrt: LEAF + CA, tlsKey: "k" },
    valid: false,
    injected: injected(LEAF + CA),
    now: NOW,
    overlapMs: 60_000,
  });
  assert.deepEqual(step, { kind: "rotate", currentCa: CA });
});

Deno.test("nextCertificateStep() injects the bundle wherever it differs (a failed injection is retried)", () => {
  const step = nextCertificateStep({
    secret: { tlsCrt: LEAF + CA, tlsKey: "k" },
    valid: true,
    injected: { crd: LEAF + CA, mutating: undefined, validating: OLD_CA },
    now: NOW,
    overlapMs: 60_000,
  });
  assert.deepEqual(step, {
    kind: "inject",
    bundle: LEAF + CA,
    targets: ["mutating", "validating"],
  });
});

Deno.test("nextCertificateStep() trusts the previous CA during the overlap, then forgets it", async (t) => {
  const secret = {
    tlsCrt: LEAF + CA,
    tlsKey: "k",
    previousCa: OLD_CA,
    rotatedAt: "2026-01-01T11:59:30Z",
  };
  await t.step("within the overlap", () => {
    const step = nextCertificateStep({
      secret,
      valid: true,
      injected: injected(LEAF + CA + OLD_CA),
      now: NOW,
      overlapMs: 60_000,
    });
    assert.deepEqual(step, { kind: "none", bundle: LEAF + CA + OLD_CA });
  });
  await t.step("after the overlap", () => {
    const later = new Date(NOW.getTime() + 60_000);
    const step = nextCertificateStep({
      secret,
      valid: true,
      injected: injected(LEAF + CA + OLD_CA),
      now: later,
      overlapMs: 60_000,
    });
    assert.deepEqual(step, { kind: "forget-previous" });
  });
  await t.step("then the reduced bundle is injected", () => {
    const step = nextCertificateStep({
      secret: { tlsCrt: LEAF + CA, tlsKey: "k" },
      valid: true,
      injected: injected(LEAF + CA + OLD_CA),
      now: NOW,
      overlapMs: 60_000,
    });
    assert.deepEqual(step, { kind: "inject", bundle: LEAF + CA, targets: TARGETS });
  });
});

Deno.test("trustBundle() lists each certificate once", () => {
  assert.deepEqual(pemBlocks(trustBundle(LEAF + CA, CA + OLD_CA)), [LEAF, CA, OLD_CA]);
});
