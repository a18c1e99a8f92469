/**
 * Slow and idle clients against `apigw authz` (issue 14 #5): as for `apigw serve`, Deno.serve
 * closes none of them (docs/upstream-differences.md, "Data-plane limits"); 500 stalled
 * connections neither slow other checks nor use more than one descriptor each.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { apiRule, GATEWAY } from "../../core/authz/_testing.ts";
import { poll } from "../poll.ts";
import {
  descriptorLimit,
  openDescriptors,
  stallConnections,
  timedRequests,
} from "../stalled_clients.ts";
import { http1 } from "./http1.ts";
import { startAuthz } from "./run_authz.ts";

const STALLED = 500;
const HOST = "orders.local.kyma.dev";

Deno.test("apigw authz: 500 stalled connections neither slow other checks nor exhaust descriptors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "apigw-authz-slow-" });
  try {
    const rule = apiRule("orders", [{ path: "/public", noAuth: true }]);
    await Deno.writeTextFile(
      `${dir}/rules.yaml`,
      [GATEWAY, rule].map((o) => stringify(o)).join("---\n"),
    );
    await using authz = await startAuthz(["--config", dir]);
    const check = async () =>
      (await http1(authz.checkUrl, "/public", { headers: { host: HOST } })).status === 200;
    await poll(async () => (await check()) || undefined, { what: "the rules to be served" });
    const limit = await descriptorLimit();
    const before = await openDescriptors();
    const baseline = await timedRequests(20, check);
    const port = Number(new URL(authz.checkUrl).port);
    const conns = await stallConnections(
      port,
      STALLED,
      `GET /public HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
    );
    try {
      const during = await openDescriptors();
      const durations = await timedRequests(50, check);
      const serverSide = during - before - STALLED;
      console.log(
        `ulimit -n ${limit}; descriptors ${before} before, ${during} with ${STALLED} stalled ` +
          `(server side +${serverSide}); check max ${Math.max(...baseline).toFixed(1)} ms ` +
          `before, max ${Math.max(...durations).toFixed(1)} ms with them stalled`,
      );
      assert.ok(during < limit, `${during} descriptors open, limit ${limit}`);
      assert.ok(serverSide <= STALLED + 20, `the server holds ${serverSide} descriptors`);
      assert.ok(Math.max(...durations) < 2_000, `checks took ${durations.join(", ")} ms`);
    } finally {
      for (const conn of conns) conn.close();
    }
    await poll(async () => (await openDescriptors()) <= before + 10 || undefined, {
      timeoutMs: 20_000,
      what: "the server to release the stalled connections' descriptors",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
