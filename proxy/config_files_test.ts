import assert from "node:assert/strict";
import { readFolderCapped } from "./config_files.ts";
import { createConfigReader } from "./config_reader.ts";
import { createLogger } from "../lib/log.ts";
import { stringify } from "yaml";
import { apiRule, GATEWAY } from "../core/authz/_testing.ts";
import { apiRuleV1beta1 } from "./oathkeeper/_testing.ts";

const CAPS = { maxFileBytes: 1024, maxFolderBytes: 2048 };
const OBJECT = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } });

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "apigw-caps-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${name}`.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

Deno.test("readFolderCapped reads a folder within its caps", async () => {
  const dir = await folder({ "a.json": OBJECT, "sub/b.yaml": "kind: Service\n", "c.txt": "x" });
  try {
    const snapshot = await readFolderCapped(dir, CAPS);
    assert.ok(snapshot.ok);
    assert.deepEqual(snapshot.objects.map((o) => (o as { kind: string }).kind), [
      "ConfigMap",
      "Service",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readFolderCapped refuses a file over the cap by its size, unparsed", async () => {
  // Not YAML at all: parsing it would report a syntax error, not the size.
  const dir = await folder({ "a.json": OBJECT, "big.yaml": "a: [" + "x".repeat(1100) });
  try {
    const snapshot = await readFolderCapped(dir, CAPS);
    assert.ok(!snapshot.ok);
    assert.deepEqual(snapshot.refused, {
      reason: "file_size",
      file: `${dir}/big.yaml`,
      bytes: 1104,
      cap: 1024,
    });
    assert.match(snapshot.error, /big\.yaml" has 1104 bytes, over the file cap of 1024/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readFolderCapped refuses a folder whose files add up to more than its cap", async () => {
  const padding = `# ${"p".repeat(900)}\n`;
  const dir = await folder({ "a.yaml": padding, "b.yaml": padding, "c.yaml": padding });
  try {
    const snapshot = await readFolderCapped(dir, CAPS);
    assert.ok(!snapshot.ok);
    assert.deepEqual(snapshot.refused, {
      reason: "folder_size",
      file: dir,
      bytes: 3 * padding.length,
      cap: 2048,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the config reader parses in a worker, logs and counts refusals", async () => {
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ write: (line) => logs.push(JSON.parse(line)) });
  const reader = createConfigReader(CAPS, { log });
  const dir = await folder({ "a.json": OBJECT });
  try {
    const good = await reader.read(dir);
    assert.ok(good.ok);
    assert.deepEqual(good.objects, [JSON.parse(OBJECT)]);
    await Deno.writeTextFile(`${dir}/big.json`, " ".repeat(5000));
    const refused = await reader.read(dir);
    assert.ok(!refused.ok);
    assert.match(refused.error, /big\.json" has 5000 bytes/);
    const line = logs.find((l) => l.msg === "Refused config by size; keeping the last good one");
    assert.equal(line?.reason, "file_size");
    assert.equal(line?.file, `${dir}/big.json`);
    assert.match(reader.renderMetrics(), /^apigw_config_refused_total\{reason="file_size"\} 1$/m);
    assert.match(reader.renderMetrics(), /^apigw_config_refused_total\{reason="folder_size"\} 0$/m);
    const missing = await reader.read(`${dir}/nope`);
    assert.ok(!missing.ok);
    assert.match(missing.error, /Cannot read/);
  } finally {
    reader.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the config reader compiles apigw authz's rules in the worker, v1beta1 rules here", async () => {
  const reader = createConfigReader({ maxFileBytes: 64 * 1024, maxFolderBytes: 64 * 1024 }, {
    log: createLogger({ write: () => {} }),
    compile: { kind: "authz", providerName: "apigw-authz" },
  });
  const v2 = apiRule("orders", [{ path: "/items/{*}", noAuth: true }, {
    path: "/health",
    noAuth: true,
  }]);
  const broken = apiRule("broken", [{ path: "no-slash", noAuth: true }]);
  const dir = await folder({
    "rules.yaml": [GATEWAY, v2, broken].map((o) => stringify(o)).join("---\n"),
  });
  try {
    const compiled = await reader.read(dir);
    assert.ok(compiled.ok);
    assert.deepEqual(compiled.objects, [], "the serving thread receives no objects to compile");
    const index = compiled.authz?.value.index;
    assert.equal(index?.ruleCount, 2);
    assert.deepEqual(compiled.authz?.problems.map((p) => p.object), ["APIRule default/broken"]);
    const match = (path: string) =>
      index?.match({ host: "orders.local.kyma.dev", method: "GET", path })?.id;
    assert.equal(match("/items/1"), "default/orders#0", "path matchers rebuilt");
    assert.equal(match("/items/1/2"), undefined);

    const v1beta1 = apiRuleV1beta1("legacy", [{
      path: "/.*",
      accessStrategies: [{ handler: "allow" }],
    }], { host: "legacy.local.kyma.dev" });
    await Deno.writeTextFile(`${dir}/legacy.yaml`, stringify(v1beta1));
    const objects = await reader.read(dir);
    assert.ok(objects.ok);
    assert.equal(objects.authz, undefined, "access strategies are compiled on the serving thread");
    assert.equal(objects.objects.length, 4);
  } finally {
    reader.close();
    await Deno.remove(dir, { recursive: true });
  }
});
