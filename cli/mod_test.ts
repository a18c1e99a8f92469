import assert from "node:assert/strict";
import { COMMANDS, runCli } from "./mod.ts";
import type { CommandIO } from "./command.ts";

function capture(): { io: CommandIO; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    io: {
      stdout: (text) => void (out += text),
      stderr: (text) => void (err += text),
      env: () => undefined,
      signal: new AbortController().signal,
    },
    out: () => out,
    err: () => err,
  };
}

Deno.test("runCli() prints --help for every subcommand and exits 0", async (t) => {
  for (const command of COMMANDS) {
    await t.step(command.name, async () => {
      for (const flag of ["--help", "-h"]) {
        const c = capture();
        assert.equal(await runCli([command.name, flag], c.io), 0);
        assert.match(c.out(), new RegExp(`^Usage: apigw ${command.name}`));
        assert.match(c.out(), /Options:/);
      }
    });
  }
});

Deno.test("runCli() lists every subcommand in the top-level help", async () => {
  const c = capture();
  assert.equal(await runCli(["--help"], c.io), 0);
  for (const command of COMMANDS) assert.match(c.out(), new RegExp(`\\n  ${command.name} `));
});

Deno.test("runCli() exits 2 for an unknown command or option, naming it", async () => {
  const unknown = capture();
  assert.equal(await runCli(["frobnicate"], unknown.io), 2);
  assert.match(unknown.err(), /unknown command "frobnicate"/);
  const badFlag = capture();
  assert.equal(await runCli(["version", "--bogus"], badFlag.io), 2);
  assert.match(badFlag.err(), /--bogus/);
});

Deno.test("runCli() prints the version as text and JSON", async () => {
  const text = capture();
  assert.equal(await runCli(["version"], text.io), 0);
  assert.match(text.out(), /^apigw \d+\.\d+\.\d+ \(deno /);
  const json = capture();
  assert.equal(await runCli(["version", "-o", "json"], json.io), 0);
  assert.equal(typeof JSON.parse(json.out()).apigw, "string");
});
