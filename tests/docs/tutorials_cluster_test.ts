/**
 * The cluster steps of docs/tutorials/, run with a real kubectl against the test cluster while the
 * operator runs as `apigw manifests` installs it (its ServiceAccount and RBAC). The cluster has no
 * kubelet, Istio or ingress: what a reader sees there is objects and `Ready` statuses, and that is
 * what these steps check. The Kyma Gateway, which the APIGateway creates in a real cluster, and
 * the mesh config registering `apigw-authz` as an extension provider (the reader merges it into
 * their Istio configuration) are put in place first as the environment the tutorials assume.
 */
import { ensureBinaries } from "../cluster/build.ts";
import { testCluster } from "../cluster/mod.ts";
import { applyAll, kymaGateway } from "../operator/_fixtures.ts";
import { operatorAccess, startOperator } from "../operator/_operator.ts";
import { assertShown, parseSteps, runCommand, Shell, tutorialFiles } from "./_tutorial.ts";

/** Istio's mesh config with the provider `apigw manifests --extension-provider` prints. */
const MESH_CONFIG = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "istio", namespace: "istio-system" },
  data: {
    mesh: "extensionProviders:\n- name: apigw-authz\n  envoyExtAuthzHttp:\n" +
      "    service: apigw-authz.kyma-system.svc.cluster.local\n    port: 8080\n",
  },
};

Deno.test("the tutorials' cluster steps run against the test cluster", async (t) => {
  const cluster = testCluster();
  await cluster.reset();
  const { kubectl } = await ensureBinaries(() => {});
  const kubeconfig = await operatorAccess(cluster);
  const operator = await startOperator(cluster, kubeconfig, { name: "tutorials" });
  try {
    await applyAll(cluster, [kymaGateway("example.com"), MESH_CONFIG]);
    for (const path of tutorialFiles()) {
      const name = path.slice(path.lastIndexOf("/docs/") + 1);
      const steps = parseSteps(await Deno.readTextFile(path));
      if (!steps.some((s) => s.kind === "cluster")) continue;
      await t.step(name, async () => {
        await using shell = await Shell.create({
          kubectl,
          env: { KUBECONFIG: cluster.kubeconfigPath },
        });
        const variables: Record<string, string> = {};
        let output: string | undefined;
        for (const step of steps) {
          const where = `${name}:${step.line}`;
          if (step.kind === "file") await shell.write(step.name, step.text);
          else if (step.kind === "offline" || step.kind === "serve") output = undefined;
          else if (step.kind === "output" && output !== undefined) {
            assertShown(output, step.lines, where);
          } else if (step.kind === "cluster") {
            output = "";
            for (const line of step.lines) {
              const ran = await runCommand(shell, line, variables, where);
              output += ran.stdout + ran.stderr;
            }
          }
        }
      });
    }
  } finally {
    await operator.stop();
    await cluster.reset();
  }
});
