import assert from "node:assert/strict";
import { PREVIOUS_CA_KEY, ROTATED_AT_ANNOTATION } from "../../core/certificate/plan.ts";
import {
  base64,
  certificateSecretOf,
  forgetPreviousPatch,
  fromBase64,
  newSecret,
  rotationPatch,
} from "./secret.ts";

const NOW = new Date("2026-11-26T12:00:00Z");
const PAIR = { certPem: "LEAF\nCA\n", keyPem: "KEY\n" };
const REF = { namespace: "kyma-system", name: "api-gateway-webhook-certificate" };

Deno.test("newSecret() writes tls.crt and tls.key that certificateSecretOf() reads back", async (t) => {
  await t.step("fresh, owned by the Deployment", () => {
    const secret = newSecret(REF, PAIR, {
      owner: { name: "api-gateway-controller-manager", uid: "u-1" },
      previousCa: "",
      now: NOW,
    });
    assert.deepEqual(certificateSecretOf(secret), { tlsCrt: PAIR.certPem, tlsKey: PAIR.keyPem });
    assert.deepEqual(secret.metadata.labels, { "kyma-project.io/module": "api-gateway" });
    assert.deepEqual(secret.metadata.ownerReferences, [{
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "api-gateway-controller-manager",
      uid: "u-1",
    }]);
  });
  await t.step("recreated while a CA is served: that CA stays trusted", () => {
    const secret = newSecret(REF, PAIR, { owner: undefined, previousCa: "OLD\n", now: NOW });
    assert.deepEqual(certificateSecretOf(secret), {
      tlsCrt: PAIR.certPem,
      tlsKey: PAIR.keyPem,
      previousCa: "OLD\n",
      rotatedAt: NOW.toISOString(),
    });
    assert.equal(secret.metadata.ownerReferences, undefined);
  });
});

Deno.test("rotationPatch() and forgetPreviousPatch() guard with the resourceVersion", () => {
  const rotation = rotationPatch("42", PAIR, "OLD\n", NOW);
  assert.deepEqual(rotation, {
    metadata: {
      resourceVersion: "42",
      annotations: { [ROTATED_AT_ANNOTATION]: NOW.toISOString() },
    },
    data: {
      "tls.crt": base64(PAIR.certPem),
      "tls.key": base64(PAIR.keyPem),
      [PREVIOUS_CA_KEY]: base64("OLD\n"),
    },
  });
  assert.deepEqual(forgetPreviousPatch("43"), {
    metadata: { resourceVersion: "43", annotations: { [ROTATED_AT_ANNOTATION]: null } },
    data: { [PREVIOUS_CA_KEY]: null },
  });
});

Deno.test("fromBase64() reverses base64() and refuses what is not base64", () => {
  assert.equal(fromBase64(base64("ü-PEM\n")), "ü-PEM\n");
  assert.equal(fromBase64("%%%"), undefined);
});
