import assert from "node:assert/strict";
import type { CommandIO } from "./command.ts";
import { operatorCommand } from "./operator.ts";

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CommandIO = {
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    env: (name) => env[name],
    signal: new AbortController().signal,
  };
  return { value, out, err };
}

Deno.test("operatorCommand --help lists upstream's flags with their defaults", async () => {
  const { value, out } = io();
  assert.equal(await operatorCommand.run(["--help"], value), 0);
  const help = out.join("");
  for (
    const flag of [
      "--metrics-bind-address VALUE",
      "default: :8080",
      "--health-probe-bind-address VALUE",
      "default: :8081",
      "--leader-elect ",
      "--rate-limiter-burst VALUE",
      "default: 200",
      "--rate-limiter-frequency VALUE",
      "default: 30",
      "--failure-base-delay VALUE",
      "default: 1s",
      "--failure-max-delay VALUE",
      "default: 1000s",
      "--reconciliation-interval VALUE",
      "default: 30m",
      "env: oathkeeper-maester",
    ]
  ) {
    assert.ok(help.includes(flag), `help lacks ${flag}`);
  }
});

Deno.test("operatorCommand stops on bad options and lists every problem", async (t) => {
  await t.step("bad values", async () => {
    const { value, err } = io();
    const code = await operatorCommand.run([
      "--failure-base-delay=soon",
      "--rate-limiter-burst=0",
      "--metrics-bind-address=8080",
    ], value);
    assert.equal(code, 2);
    const text = err.join("");
    assert.match(text, /--failure-base-delay: "soon" is not a valid duration/);
    assert.match(text, /--rate-limiter-burst: "0" is not a positive integer/);
    assert.match(text, /--metrics-bind-address: "8080" is not an address/);
  });
  await t.step("a renew deadline not shorter than the lease", async () => {
    const { value, err } = io();
    const code = await operatorCommand.run([
      "--leader-elect-lease-duration=5s",
      "--leader-elect-renew-deadline=5s",
    ], value);
    assert.equal(code, 2);
    assert.match(err.join(""), /renew-deadline must be shorter/);
  });
  await t.step("no cluster to talk to", async () => {
    const { value } = io();
    const code = await operatorCommand.run(["--metrics-bind-address=0"], value);
    assert.equal(code, 2);
  });
});

Deno.test("operatorCommand checks the webhook and controller options", async (t) => {
  await t.step("help names the certificate defaults of docs/spec/certificate.md", async () => {
    const { value, out } = io();
    assert.equal(await operatorCommand.run(["--help"], value), 0);
    const help = out.join("");
    for (
      const fragment of [
        "--webhook-listen VALUE",
        "default: 2160h",
        "default: 336h",
        "default: rsa-4096",
        "--controllers VALUE",
      ]
    ) {
      assert.ok(help.includes(fragment), `help lacks ${fragment}`);
    }
  });
  await t.step("a threshold not shorter than the lifetime and unknown controllers", async () => {
    const { value, err } = io();
    const code = await operatorCommand.run([
      "--webhook-certificate-lifetime=10s",
      "--webhook-certificate-renew-before=10s",
      "--controllers=apirule,webhook",
    ], value);
    assert.equal(code, 2);
    const text = err.join("");
    assert.match(text, /renew-before must be shorter than --webhook-certificate-lifetime/);
    assert.match(text, /--controllers: unknown "webhook"/);
  });
  await t.step("an unknown key type", async () => {
    const { value, err } = io();
    assert.equal(await operatorCommand.run(["--webhook-certificate-key=dsa"], value), 2);
    assert.match(err.join(""), /--webhook-certificate-key: "dsa" is not one of/);
  });
});
