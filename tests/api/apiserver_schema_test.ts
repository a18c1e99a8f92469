/**
 * The offline validator and the real apiserver agree on apigw's CRDs: every schema/CEL example
 * of the specs and every own object of the conformance inputs is accepted or rejected by both,
 * and a rejection names the same fields (and CEL messages). Creates are dry runs, so nothing is
 * stored; v2 and v1beta1 objects pass through apigw's conversion webhook on the way.
 */
import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import { testCluster, uniqueName } from "../cluster/mod.ts";
import { ownKind } from "../../api/kinds.ts";
import { SCHEMA_CASES } from "./schema_cases.ts";
import { dryRunCreate, expectedFragments, formatProblem, offlineProblems } from "./dry_run.ts";

const CONFORMANCE = new URL("../fixtures/conformance/", import.meta.url);

Deno.test("apigw's CRDs are Established and serve every version", async () => {
  const cluster = testCluster();
  for (
    const name of [
      "apirules.gateway.kyma-project.io",
      "ratelimits.gateway.kyma-project.io",
      "apigateways.operator.kyma-project.io",
    ]
  ) {
    const response = await cluster.request(
      "GET",
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
    );
    assert.equal(response.status, 200, response.text);
    const crd = JSON.parse(response.text);
    const established = crd.status.conditions.find((c: { type: string }) =>
      c.type === "Established"
    );
    assert.equal(established?.status, "True", `${name} is not Established`);
  }
  for (const version of ["v1beta1", "v2alpha1", "v2"]) {
    const response = await cluster.request("GET", `/apis/gateway.kyma-project.io/${version}`);
    assert.equal(response.status, 200, `${version}: ${response.text}`);
  }
});

Deno.test("validateSchema() and the apiserver agree on every schema and CEL example", async (t) => {
  const cluster = testCluster();
  const namespace = uniqueName("schema");
  await cluster.ensureNamespace(namespace);
  for (const c of SCHEMA_CASES) {
    await t.step(c.name, async () => {
      const problems = offlineProblems(c.object);
      assert.equal(
        problems.length === 0,
        c.valid,
        `offline: ${problems.map(formatProblem).join("; ")}`,
      );
      const verdict = await dryRunCreate(cluster, c.object, namespace);
      assert.equal(verdict.accepted, c.valid, `apiserver (${verdict.status}): ${verdict.message}`);
      for (const fragment of expectedFragments(problems)) {
        assert.ok(
          verdict.message.includes(fragment),
          `"${fragment}" not in the apiserver's ${verdict.message}`,
        );
      }
    });
  }
});

Deno.test("validateSchema() and the apiserver agree on every own object of the conformance inputs", async (t) => {
  const cluster = testCluster();
  const namespace = uniqueName("conformance");
  await cluster.ensureNamespace(namespace);
  for (const folder of ["apirule-v2", "apirule-v1beta1", "ratelimit", "apigateway", "conversion"]) {
    const dir = new URL(`${folder}/`, CONFORMANCE);
    for (
      const file of [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".yaml"))
        .sort()
    ) {
      const spec = parse(Deno.readTextFileSync(new URL(file, dir)));
      const input: string = spec.input ?? spec.convert?.from ?? "";
      const own = parseAllDocuments(input).map((d) => d.toJS()).filter((o) =>
        ownKind(o?.apiVersion, o?.kind)
      );
      for (const [index, object] of own.entries()) {
        await t.step(`${folder}/${file}#${index}`, async () => {
          const { status: _, ...withoutStatus } = object;
          const problems = offlineProblems(withoutStatus);
          const verdict = await dryRunCreate(cluster, withoutStatus, namespace);
          assert.equal(
            verdict.accepted,
            problems.length === 0,
            `offline: [${
              problems.map(formatProblem).join("; ")
            }], apiserver (${verdict.status}): ${verdict.message}`,
          );
        });
      }
    }
  }
});
