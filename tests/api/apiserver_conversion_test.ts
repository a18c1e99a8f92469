/**
 * APIRule conversion through the real apiserver and apigw's conversion webhook as the harness
 * serves it (tests/cluster/webhook.ts); the checks themselves: _conversion_checks.ts.
 */
import { testCluster } from "../cluster/mod.ts";
import { checkConversionCases, checkMixedList } from "./_conversion_checks.ts";

Deno.test("the apiserver converts APIRules through apigw's webhook as `convert` does", async (t) => {
  await checkConversionCases(t, testCluster());
});

Deno.test("a list of 100 APIRules written in mixed versions reads back in every version", async () => {
  await checkMixedList(testCluster());
});
