import assert from "node:assert/strict";
import { LOG_LEVEL_OPTION, oneOf, parseOptions, text } from "./config.ts";

const SPECS = {
  "log-level": LOG_LEVEL_OPTION,
  listen: { type: "string", help: "Address", env: "APIGW_LISTEN", parse: text },
  mode: { type: "string", help: "Mode", default: "a", parse: oneOf(["a", "b"] as const) },
  file: { type: "list", short: "f", help: "Files" },
  verbose: { type: "boolean", help: "Verbose", env: "APIGW_VERBOSE" },
} as const;

Deno.test("parseOptions() reads flags, then the environment, then defaults", () => {
  const env = (name: string) => ({ APIGW_LISTEN: "127.0.0.1:1", APIGW_VERBOSE: "true" })[name];
  const parsed = parseOptions(SPECS, ["-f", "a.yaml", "--file", "b.yaml", "x"], env);
  assert.equal(parsed.ok, true);
  if (!parsed.ok) return;
  assert.equal(parsed.value["log-level"], "info");
  assert.equal(parsed.value.listen, "127.0.0.1:1");
  assert.equal(parsed.value.mode, "a");
  assert.deepEqual(parsed.value.file, ["a.yaml", "b.yaml"]);
  assert.equal(parsed.value.verbose, true);
  assert.deepEqual(parsed.value.positionals, ["x"]);
  assert.equal(Object.isFrozen(parsed.value), true);
});

Deno.test("parseOptions() lets a flag override the environment", () => {
  const parsed = parseOptions(
    SPECS,
    ["--listen", "0.0.0.0:2"],
    (n) => n === "APIGW_LISTEN" ? "127.0.0.1:1" : undefined,
  );
  assert.equal(parsed.ok && parsed.value.listen, "0.0.0.0:2");
});

Deno.test("parseOptions() returns every invalid value at once, naming option and variable", () => {
  const parsed = parseOptions(
    SPECS,
    ["--mode", "c"],
    (n) => n === "APIGW_LOG_LEVEL" ? "loud" : undefined,
  );
  assert.equal(parsed.ok, false);
  if (parsed.ok) return;
  assert.equal(parsed.error.length, 2);
  assert.match(parsed.error[0]!, /--log-level \(APIGW_LOG_LEVEL\): "loud" is not one of/);
  assert.match(parsed.error[1]!, /--mode: "c" is not one of "a", "b"/);
});

Deno.test("parseOptions() reports unknown flags instead of throwing", () => {
  const parsed = parseOptions(SPECS, ["--nope"], () => undefined);
  assert.equal(parsed.ok, false);
});
