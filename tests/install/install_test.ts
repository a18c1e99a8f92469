/**
 * Installing apigw as a user does: `apigw manifests | kubectl apply -f -` with a real kubectl
 * (k8s.io/kubernetes/cmd/kubectl, built by tests/cluster/build.ts beside kube-apiserver), against
 * a control plane of this test's own — its webhook configurations (`failurePolicy: Fail`, pointing
 * at Pods that never run here) must not reach the shared test cluster. Then an upgrade (a second
 * apply) and an uninstall: `kubectl delete -f -`, and the namespace finalized as the namespace
 * controller this control plane lacks would do.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ensureBinaries } from "../cluster/build.ts";
import { type ControlPlane, startControlPlane } from "../cluster/controlplane.ts";
import { poll } from "../poll.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function command(bin: string, args: string[], stdin?: string): Promise<Ran> {
  const child = new Deno.Command(bin, {
    args,
    cwd: ROOT,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

interface ObjectMeta {
  name: string;
  resourceVersion: string;
}

interface ObjectRef {
  kind: string;
  name: string;
  namespace?: string;
}

function refs(list: { items: { kind: string; metadata: { name: string; namespace?: string } }[] }) {
  return list.items.map((item): ObjectRef => ({
    kind: item.kind,
    name: item.metadata.name,
    ...(item.metadata.namespace === undefined ? {} : { namespace: item.metadata.namespace }),
  }));
}

function key(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ?? "-"}/${ref.name}`;
}

Deno.test({
  name: "apigw manifests installs with a real kubectl, upgrades in place and uninstalls cleanly",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const binaries = await ensureBinaries(console.log);
    const plane: ControlPlane = await startControlPlane({ binaries });
    let failed = true;
    try {
      const kubectl = (args: string[], stdin?: string) =>
        command(binaries.kubectl, ["--kubeconfig", plane.kubeconfigPath, ...args], stdin);
      const rendered = await command(Deno.execPath(), ["run", "-A", "main.ts", "manifests"]);
      assert.equal(rendered.code, 0, rendered.stderr);
      const manifests = rendered.stdout;
      const asJson = await command(Deno.execPath(), [
        "run",
        "-A",
        "main.ts",
        "manifests",
        "-o",
        "json",
      ]);
      const expected = refs(JSON.parse(asJson.stdout));
      const crds = expected.filter((ref) => ref.kind === "CustomResourceDefinition");
      assert.ok(crds.length >= 3, "the manifests carry apigw's CRDs");

      await t.step("kubectl apply creates every object", async () => {
        // Istio is a prerequisite: the operator's Role in istio-system needs the namespace.
        const istio = await kubectl(["create", "namespace", "istio-system"]);
        assert.equal(istio.code, 0, istio.stderr);
        const applied = await kubectl(["apply", "-f", "-"], manifests);
        assert.equal(applied.code, 0, applied.stderr);
        const created = applied.stdout.trim().split("\n").filter((line) => / created$/.test(line));
        assert.equal(created.length, expected.length, applied.stdout);
        const got = await kubectl(["get", "-f", "-", "-o", "json"], manifests);
        assert.equal(got.code, 0, got.stderr);
        assert.deepEqual(refs(JSON.parse(got.stdout)).map(key), expected.map(key));
      });

      await t.step("the CRDs are Established and the webhook configurations accepted", async () => {
        const names = crds.map((crd) => `crd/${crd.name}`);
        const waited = await kubectl([
          "wait",
          "--for=condition=Established",
          "--timeout=60s",
          ...names,
        ]);
        assert.equal(waited.code, 0, waited.stderr);
        for (const kind of ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"]) {
          const got = await kubectl(["get", kind, "-o", "json"]);
          const webhooks = JSON.parse(got.stdout).items.flatMap((item: { webhooks?: unknown[] }) =>
            item.webhooks ?? []
          );
          assert.ok(webhooks.length > 0, `${kind} holds apigw's webhooks`);
        }
      });

      await t.step("a second apply (an upgrade with nothing changed) writes nothing", async () => {
        const versions = async () => {
          const got = await kubectl(["get", "-f", "-", "-o", "json"], manifests);
          assert.equal(got.code, 0, got.stderr);
          return JSON.parse(got.stdout).items.map((item: { metadata: ObjectMeta }) =>
            `${item.metadata.name} ${item.metadata.resourceVersion}`
          );
        };
        const before = await versions();
        const again = await kubectl(["apply", "-f", "-"], manifests);
        assert.equal(again.code, 0, again.stderr);
        // kubectl reports the PodDisruptionBudget "configured" on every apply (its selector's
        // patch strategy is "replace", so the client always sends it); the server writes nothing.
        const changed = again.stdout.trim().split("\n")
          .filter((line) => !/ unchanged$/.test(line))
          .filter((line) => !/^poddisruptionbudget\.policy\/\S+ configured$/.test(line));
        assert.deepEqual(changed, [], again.stdout);
        assert.deepEqual(await versions(), before, "no object was written");
      });

      await t.step("kubectl delete removes everything and the namespace is finalized", async () => {
        const deleted = await kubectl(["delete", "-f", "-", "--wait=false"], manifests);
        assert.equal(deleted.code, 0, deleted.stderr);
        // No namespace controller here: do its last step once the namespace is Terminating.
        const namespace = await poll(async () => {
          const got = await kubectl(["get", "namespace", "kyma-system", "-o", "json"]);
          if (got.code !== 0) return { gone: true as const };
          const object = JSON.parse(got.stdout);
          return object.status?.phase === "Terminating" ? object : undefined;
        }, { timeoutMs: 30_000, what: "kyma-system to be Terminating" });
        if (!("gone" in namespace)) {
          namespace.spec.finalizers = [];
          const finalized = await kubectl(
            ["replace", "--raw", "/api/v1/namespaces/kyma-system/finalize", "-f", "-"],
            JSON.stringify(namespace),
          );
          assert.equal(finalized.code, 0, finalized.stderr);
        }
        await poll(async () => {
          const left: string[] = [];
          for (const ref of expected) {
            const args = ["get", ref.kind, ref.name, "--ignore-not-found", "-o", "name"];
            if (ref.namespace !== undefined) args.push("-n", ref.namespace);
            const got = await kubectl(args);
            if (got.stdout.trim() !== "") left.push(key(ref));
          }
          return left.length === 0 ? true : undefined;
        }, { timeoutMs: 60_000, what: "every installed object to be gone" });
      });
      failed = false;
    } finally {
      await plane.stop({ failed });
    }
  },
});
