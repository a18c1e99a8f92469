/**
 * Leader election with the Lease `kyma-system/69358922.kyma-project.io` (docs/spec/operator-config.md §4):
 * of two replicas only the leader reconciles; when it is killed the other takes over within the
 * lease duration, and a replica stopped with SIGTERM hands the Lease over at once.
 */
import assert from "node:assert/strict";
import { poll, testCluster } from "../cluster/mod.ts";
import { apiRule, applyAll, at, kymaGateway, object, service } from "./_fixtures.ts";
import { type LogLine, operatorAccess, type OperatorProcess, startOperator } from "./_operator.ts";

const NS = "leader";
const LEASE = "/apis/coordination.k8s.io/v1/namespaces/kyma-system/leases/69358922.kyma-project.io";
const LEASE_MS = 3_000;
const ELECTION = [
  "--leader-elect",
  `--leader-elect-lease-duration=${LEASE_MS}ms`,
  "--leader-elect-renew-deadline=2s",
  "--leader-elect-retry-period=250ms",
];

Deno.test("two replicas: only the leader reconciles, failover works", async (t) => {
  const cluster = testCluster();
  await cluster.reset();
  const kubeconfig = await operatorAccess(cluster);
  await applyAll(cluster, [kymaGateway("example.com"), service(NS, "httpbin", { app: "httpbin" })]);
  const replicas: OperatorProcess[] = [];
  const start = async (name: string) => {
    const replica = await startOperator(cluster, kubeconfig, { name, args: ELECTION });
    replicas.push(replica);
    return replica;
  };
  const ready = (name: string) =>
    poll(async () => {
      const rule = await object(
        cluster,
        `/apis/gateway.kyma-project.io/v2/namespaces/${NS}/apirules/${name}`,
      );
      return at(rule, "status", "state") === "Ready" || undefined;
    }, { timeoutMs: 20_000, what: `APIRule ${name} to be Ready` });
  const create = (name: string) =>
    applyAll(cluster, [
      apiRule(NS, name, {
        host: `${name}.example.com`,
        service: { name: "httpbin" },
        paths: ["/"],
      }),
    ]);
  try {
    const a = await start("leader-a");
    const b = await start("leader-b");
    let leader: OperatorProcess | undefined;
    let standby: OperatorProcess | undefined;

    await t.step("exactly one replica acquires the Lease", async () => {
      leader = await poll(async () => {
        const leading = [];
        for (const replica of [a, b]) if (await acquired(replica)) leading.push(replica);
        return leading.length === 1 ? leading[0] : undefined;
      }, { what: "one replica to lead" });
      standby = leader === a ? b : a;
      const lease = await object(cluster, LEASE);
      assert.ok(String(at(lease, "spec", "holderIdentity")).length > 0);
    });

    await t.step("only the leader reconciles", async () => {
      for (const name of ["one", "two", "three"]) await create(name);
      for (const name of ["one", "two", "three"]) await ready(name);
      assert.ok((await reconciled(leader!)).length > 0);
      assert.deepEqual(await reconciled(standby!), [], "the standby reconciled");
      assert.equal((await standby!.metric("apigw_leader")).get(""), 0);
    });

    await t.step(
      "kill -9 of the leader: the standby takes over within the lease duration",
      async () => {
        const killedAt = Date.now();
        const lastOfLeader = Math.max(...(await reconciled(leader!)).map(time));
        await leader!.kill();
        await poll(async () => (await acquired(standby!)) || undefined, {
          timeoutMs: 3 * LEASE_MS,
          intervalMs: 50,
          what: "failover",
        });
        const took = time((await standby!.logs()).find((l) => l.msg === "Acquired leadership")!) -
          killedAt;
        console.log(`Failover took ${took} ms (lease duration ${LEASE_MS} ms)`);
        assert.ok(took <= LEASE_MS + 1_000, `failover took ${took} ms`);
        await create("four");
        await ready("four");
        const firstOfNew = Math.min(...(await reconciled(standby!)).map(time));
        assert.ok(firstOfNew > lastOfLeader, "the two replicas' reconciles overlap");
        leader = standby;
      },
    );

    await t.step("SIGTERM hands the Lease over at once", async () => {
      const next = await start("leader-c");
      assert.equal(await acquired(next), false);
      const stoppedAt = Date.now();
      assert.equal(await leader!.stop(), 0);
      await poll(async () => (await acquired(next)) || undefined, {
        timeoutMs: 3 * LEASE_MS,
        intervalMs: 50,
        what: "handover",
      });
      const took = time((await next.logs()).find((l) => l.msg === "Acquired leadership")!) -
        stoppedAt;
      console.log(`Handover after SIGTERM took ${took} ms`);
      assert.ok(took < LEASE_MS, `handover took ${took} ms`);
      await create("five");
      await ready("five");
    });
  } finally {
    for (const replica of replicas) await replica.kill();
    await cluster.reset();
  }
});

async function acquired(replica: OperatorProcess): Promise<boolean> {
  return (await replica.logs()).some((l) => l.msg === "Acquired leadership");
}

async function reconciled(replica: OperatorProcess): Promise<LogLine[]> {
  return (await replica.logs()).filter((l) =>
    typeof l.msg === "string" && l.msg.startsWith("Reconciled ")
  );
}

function time(line: LogLine): number {
  return Date.parse(String(line.time));
}
