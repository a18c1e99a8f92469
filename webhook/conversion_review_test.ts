import assert from "node:assert/strict";
import { answerConversionReview, type Converter } from "./conversion_review.ts";

// A converter that relabels apiVersion, and refuses objects named "bad".
const relabel: Converter = (object, to) => {
  const o = object as { metadata: { name: string } };
  return o.metadata.name === "bad"
    ? { ok: false, error: "spec.rules[0]: cannot be converted" }
    : { ok: true, value: { ...o, apiVersion: to } };
};

function review(apiVersion: string, names: string[]) {
  return {
    apiVersion,
    kind: "ConversionReview",
    request: {
      uid: "u-1",
      desiredAPIVersion: "gateway.kyma-project.io/v2",
      objects: names.map((name) => ({
        apiVersion: "gateway.kyma-project.io/v2alpha1",
        kind: "APIRule",
        metadata: { name, namespace: "shop" },
      })),
    },
  };
}

Deno.test("answerConversionReview() converts every object in order and echoes the uid", async (t) => {
  for (const version of ["apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1"]) {
    await t.step(version, () => {
      const outcome = answerConversionReview(review(version, ["a", "b", "c"]), relabel);
      assert.equal(outcome.status, 200);
      if (outcome.status !== 200) return;
      assert.equal(outcome.body.apiVersion, version);
      const response = outcome.body.response as Record<string, unknown>;
      assert.equal(response.uid, "u-1");
      assert.deepEqual(response.result, { status: "Success" });
      const objects = response.convertedObjects as Array<Record<string, unknown>>;
      assert.deepEqual(objects.map((o) => (o.metadata as { name: string }).name), ["a", "b", "c"]);
      assert.ok(objects.every((o) => o.apiVersion === "gateway.kyma-project.io/v2"));
      assert.equal("request" in outcome.body, false);
    });
  }
});

Deno.test("answerConversionReview() fails the whole review when one object fails, naming it", () => {
  const outcome = answerConversionReview(
    review("apiextensions.k8s.io/v1", ["a", "bad", "c"]),
    relabel,
  );
  assert.equal(outcome.status, 200);
  if (outcome.status !== 200) return;
  const response = outcome.body.response as Record<string, unknown>;
  assert.deepEqual(response.convertedObjects, []);
  const result = response.result as { status: string; message: string };
  assert.equal(result.status, "Failure");
  assert.match(result.message, /APIRule "shop\/bad"/);
  assert.match(result.message, /spec\.rules\[0\]: cannot be converted/);
});

Deno.test("answerConversionReview() answers 400 for bodies that are not reviews", async (t) => {
  const cases: Array<[string, unknown]> = [
    ["null", null],
    ["a list", []],
    ["another kind", { apiVersion: "v1", kind: "Pod" }],
    ["unknown review version", { apiVersion: "apiextensions.k8s.io/v2", kind: "ConversionReview" }],
    ["no uid", { apiVersion: "apiextensions.k8s.io/v1", kind: "ConversionReview", request: {} }],
  ];
  for (const [name, body] of cases) {
    await t.step(name, () => assert.equal(answerConversionReview(body, relabel).status, 400));
  }
});

Deno.test("answerConversionReview() fails a review without objects instead of throwing", () => {
  const body = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "ConversionReview",
    request: { uid: "x" },
  };
  const outcome = answerConversionReview(body, relabel);
  assert.equal(outcome.status, 200);
  assert.equal(outcome.status === 200 && outcome.failed, true);
});
