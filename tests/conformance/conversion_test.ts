/**
 * Runs every conversion case of the shared conformance corpus through the real CLI
 * (`deno run -A main.ts convert`), judged by the rules of tests/fixtures/conformance/README.md.
 * A new case file is picked up without code changes.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { matchSubset } from "./judge.ts";

const CASES_DIR = new URL("../fixtures/conformance/conversion/", import.meta.url);
const REPO_ROOT = new URL("../../", import.meta.url);

interface ConversionCase {
  name: string;
  from: string;
  toVersion: string;
  expect: unknown;
  expectError: string | undefined;
  roundTrip: boolean;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

Deno.test("conformance: conversion cases pass through apigw convert", async (t) => {
  const files = [...Deno.readDirSync(CASES_DIR)]
    .filter((entry) => entry.isFile && /\.ya?ml$/.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  assert.ok(files.length > 0, `no cases in ${CASES_DIR.pathname}`);
  for (const file of files) {
    await t.step(file, async () => {
      const tc = readCase(new URL(file, CASES_DIR));
      const run = await convert(tc.from, tc.toVersion);
      if (tc.expectError !== undefined) {
        assert.equal(run.code, 1, `expected exit 1, got ${run.code}: ${run.stderr}`);
        if (!run.stderr.includes(tc.expectError)) {
          console.warn(`${file}: stderr lacks ${JSON.stringify(tc.expectError)}: ${run.stderr}`);
        }
        return;
      }
      assert.equal(run.code, 0, `convert failed: ${run.stderr}`);
      const actual: unknown = JSON.parse(run.stdout);
      assert.deepEqual(matchSubset(tc.expect, actual), [], "output does not match expect");
      if (!tc.roundTrip) return;
      const original = recordOf(parse(tc.from));
      const back = await convert(run.stdout, String(original.apiVersion));
      assert.equal(back.code, 0, `converting back failed: ${back.stderr}`);
      const returned = recordOf(JSON.parse(back.stdout));
      assert.deepEqual(
        matchSubset(original.spec, returned.spec, "spec"),
        [],
        "round trip does not give back the original spec",
      );
    });
  }
});

function readCase(url: URL): ConversionCase {
  const raw = recordOf(parse(Deno.readTextFileSync(url)));
  const convertPart = recordOf(raw.convert);
  assert.equal(typeof convertPart.from, "string", `${url.pathname}: convert.from must be a string`);
  assert.equal(typeof convertPart.toVersion, "string", `${url.pathname}: convert.toVersion`);
  return {
    name: String(raw.name),
    from: String(convertPart.from),
    toVersion: String(convertPart.toVersion),
    expect: typeof raw.expect === "string" ? parse(raw.expect) : raw.expect,
    expectError: typeof raw.expectError === "string" && raw.expectError !== ""
      ? raw.expectError
      : undefined,
    roundTrip: raw.roundTrip === true,
  };
}

async function convert(input: string, toVersion: string): Promise<Run> {
  const file = await Deno.makeTempFile({ prefix: "apigw-conversion-", suffix: ".yaml" });
  try {
    await Deno.writeTextFile(file, input);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "convert", "-f", file, "--to", toVersion, "-o", "json"],
      cwd: REPO_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    await Deno.remove(file);
  }
}

function recordOf(value: unknown): Record<string, unknown> {
  assert.ok(typeof value === "object" && value !== null && !Array.isArray(value), "not a map");
  return Object.fromEntries(Object.entries(value));
}
