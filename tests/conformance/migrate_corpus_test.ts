/**
 * Every APIRule v1beta1 of the conformance corpus (the render cases of `apirule-v1beta1/` and the
 * inputs of `conversion/`) goes through `apigw migrate`'s rewrite and proof: each one either
 * migrates with no unintended difference, or is refused / held back with a reason. The counts
 * are printed so the closing note of issue 18 can quote them.
 */
import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import { caseFiles } from "./cases.ts";
import { isV1beta1Source, migrateAPIRule } from "../../core/migrate/rewrite.ts";
import { proveMigration } from "../../cli/migrate_proof.ts";

function inputsOf(url: URL): string[] {
  const raw = parse(Deno.readTextFileSync(url)) as Record<string, unknown>;
  const convert = raw.convert as { from?: unknown } | undefined;
  return [raw.input, convert?.from].filter((t): t is string => typeof t === "string");
}

Deno.test("conformance: every v1beta1 APIRule of the corpus migrates or is refused with a reason", async (t) => {
  const counts = { migrated: 0, refused: 0, heldBack: 0 };
  for (const folder of ["apirule-v1beta1", "conversion"]) {
    for (const url of caseFiles(folder)) {
      const name = url.pathname.split("/").slice(-2).join("/");
      const objects = inputsOf(url).flatMap((text) =>
        parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>)
      ).filter((o) => o !== null && typeof o === "object");
      for (const source of objects.filter(isV1beta1Source)) {
        await t.step(name, async () => {
          const result = migrateAPIRule(source, {
            issuers: new Map(),
            providerName: "apigw-authz",
            pureIstio: false,
          });
          if (!result.ok) {
            counts.refused++;
            assert.ok(result.error.reasons.length > 0);
            for (const reason of result.error.reasons) assert.ok(reason.length > 10, reason);
            console.log(`  refused ${name}: ${result.error.reasons.join("; ")}`);
            return;
          }
          const proof = await proveMigration(result.value);
          assert.ok(proof.compared > 0);
          const unintended = proof.differences.filter((d) => d.intended === undefined);
          if (unintended.length > 0) {
            counts.heldBack++;
            console.log(`  held back ${name}: ${unintended.length} unintended differences`);
          } else {
            counts.migrated++;
            console.log(`  migrated ${name} (${proof.differences.length} intended differences)`);
          }
        });
      }
    }
  }
  console.log(
    `migrate over the corpus: ${counts.migrated} migrated, ${counts.refused} refused, ` +
      `${counts.heldBack} held back by the proof`,
  );
  assert.ok(counts.migrated + counts.refused + counts.heldBack > 0, "no v1beta1 APIRule found");
});
