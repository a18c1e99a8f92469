/**
 * APIRule conversion checks through the real apiserver, against whichever webhook the APIRule
 * CRD's conversion points at (the harness's, or `apigw operator`'s in tests/webhooks/): each case
 * of tests/fixtures/conformance/conversion is created in its version (status through the status
 * subresource), read back in the target version and judged like the `convert` case; round-trip
 * cases read back in the original version give the original spec. A list of 100 APIRules written
 * in mixed versions reads back in every version.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { poll, type TestCluster, uniqueName } from "../cluster/mod.ts";
import { matchSubset } from "../conformance/judge.ts";
import { collectionPath } from "./dry_run.ts";

const DIR = new URL("../fixtures/conformance/conversion/", import.meta.url);
const VERSIONS = ["v1beta1", "v2alpha1", "v2"] as const;

function json(text: string): Record<string, unknown> {
  return JSON.parse(text);
}

/** One step per conversion case. */
export async function checkConversionCases(
  t: Deno.TestContext,
  cluster: TestCluster,
): Promise<void> {
  for (
    const file of [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) => n.endsWith(".yaml"))
      .sort()
  ) {
    await t.step(file, async () => {
      const c = parse(Deno.readTextFileSync(new URL(file, DIR)));
      const from = parse(c.convert.from) as Record<string, unknown> & {
        metadata: Record<string, unknown>;
      };
      const namespace = String(from.metadata.namespace ?? "default");
      await cluster.ensureNamespace(namespace);
      const path = collectionPath(from, namespace);
      const name = String(from.metadata.name);
      try {
        const created = await cluster.request("POST", path, from);
        assert.equal(created.status, 201, created.text);
        if (from.status !== undefined) {
          // Read again on a conflict: a running operator may have added its finalizer meanwhile.
          const updated = await poll(async () => {
            const current = await cluster.request("GET", `${path}/${name}`);
            const put = await cluster.request("PUT", `${path}/${name}/status`, {
              ...json(current.text),
              status: from.status,
            });
            return put.status === 409 ? undefined : put;
          }, { what: `the status of ${name} to be written` });
          assert.equal(updated.status, 200, updated.text);
        }
        const target = String(c.convert.toVersion);
        const read = await cluster.request(
          "GET",
          `/apis/${target}/namespaces/${namespace}/apirules/${name}`,
        );
        assert.equal(read.status, 200, read.text);
        const expected = parse(c.expect);
        assert.deepEqual(matchSubset(expected, json(read.text)), [], read.text);
        if (c.roundTrip) {
          const back = await cluster.request("GET", `${path}/${name}`);
          assert.equal(back.status, 200, back.text);
          assert.deepEqual(json(back.text).spec, from.spec);
        }
      } finally {
        await cluster.request("DELETE", `${path}/${name}`);
        // The next case may reuse the name; a finalizer can hold the object for a moment.
        await poll(async () => {
          const left = await cluster.request("GET", `${path}/${name}`);
          return left.status === 404 ? true : undefined;
        }, { timeoutMs: 30_000, what: `${name} to be deleted` });
      }
    });
  }
}

/** Writes 100 APIRules in mixed versions and lists them back in every version. */
export async function checkMixedList(cluster: TestCluster): Promise<void> {
  const namespace = uniqueName("mixed");
  await cluster.ensureNamespace(namespace);
  const service = { name: "httpbin", port: 8000 };
  for (let i = 0; i < 100; i++) {
    const version = VERSIONS[i % 3]!;
    const spec = version === "v1beta1"
      ? {
        host: `h${i}.example.com`,
        gateway: "kyma-system/kyma-gateway",
        service,
        rules: [{ path: "/a", methods: ["GET"], accessStrategies: [{ handler: "no_auth" }] }],
      }
      : {
        hosts: [`h${i}.example.com`],
        gateway: "kyma-system/kyma-gateway",
        service,
        rules: [{ path: "/a", methods: ["GET"], noAuth: true }],
      };
    const object = {
      apiVersion: `gateway.kyma-project.io/${version}`,
      kind: "APIRule",
      metadata: { name: `r${i}` },
      spec,
    };
    const created = await cluster.request("POST", collectionPath(object, namespace), object);
    assert.equal(created.status, 201, created.text);
  }
  for (const version of VERSIONS) {
    const list = await cluster.request(
      "GET",
      `/apis/gateway.kyma-project.io/${version}/namespaces/${namespace}/apirules`,
    );
    assert.equal(list.status, 200, list.text);
    const items = json(list.text).items as Array<Record<string, unknown>>;
    assert.equal(items.length, 100);
    assert.ok(items.every((o) => o.apiVersion === `gateway.kyma-project.io/${version}`));
    const hosts = items.map((o) => {
      const spec = o.spec as { host?: string; hosts?: string[] };
      return version === "v1beta1" ? spec.host : spec.hosts?.[0];
    });
    assert.deepEqual(new Set(hosts).size, 100, `${version}: every host survives`);
  }
  await cluster.request(
    "DELETE",
    `/apis/gateway.kyma-project.io/v2alpha1/namespaces/${namespace}/apirules`,
  );
}
