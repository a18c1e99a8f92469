/**
 * The README's quickstart: the curl commands documented there, parsed from the README, run
 * (through `fetch`) against the bundled example started by `apigw serve`, and each answer must be
 * the status the README prints beside it. The example is copied so its demo upstream can take a
 * free port instead of 8081.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { tokenCommand } from "../../cli/token.ts";
import { freePort } from "../cluster/_ports.ts";
import { startGateway } from "./_gateway.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Step {
  line: string;
  repeat: number;
  url: string;
  headers: Record<string, string>;
  expected: number[];
}

/** The curl lines of the README's first `sh` block after the start command. */
function documentedCurls(readme: string): { steps: Step[]; tokenArgs: string[] } {
  const block = /With the gateway running[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block !== undefined, "README has the quickstart curl block");
  const steps: Step[] = [];
  let tokenArgs: string[] = [];
  for (const line of block.trim().split("\n")) {
    const token = /^TOKEN=\$\(.* token (.*)\)$/.exec(line);
    if (token !== null) {
      tokenArgs = token[1]!.split(/\s+/);
      continue;
    }
    const [command = "", comment = ""] = line.split(/\s+#\s+/);
    assert.ok(command.includes("curl") && comment !== "", `a curl with its answer: ${line}`);
    const url = /(http:\/\/[^\s;'"]+)/.exec(command)![1]!;
    const headers: Record<string, string> = {};
    for (const [, header] of command.matchAll(/-H "([^"]+)"/g)) {
      const [name, ...value] = header!.split(": ");
      headers[name!] = value.join(": ");
    }
    steps.push({
      line,
      repeat: Number(/for i in ((?:\d\s*)+);/.exec(command)?.[1]?.trim().split(/\s+/).length ?? 1),
      url,
      headers,
      expected: comment.trim().split(/\s+/).map(Number),
    });
  }
  return { steps, tokenArgs };
}

Deno.test("the README's quickstart curls get the documented answers", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  assert.ok(
    readme.startsWith("```sh\nnpx -y deno@2.9.6 task start\nnpx -y deno@2.9.6 task test\n```"),
  );
  const { steps, tokenArgs } = documentedCurls(readme);
  assert.equal(steps.length, 4);
  const demoPort = freePort();
  const files: Record<string, string> = {};
  for (const entry of Deno.readDirSync(`${ROOT}examples/quickstart`)) {
    const text = await Deno.readTextFile(`${ROOT}examples/quickstart/${entry.name}`);
    files[entry.name] = text.replaceAll("8081", String(demoPort));
  }
  const stateDir = await Deno.makeTempDir({ prefix: "apigw-quickstart-state-" });
  try {
    await using gateway = await startGateway(files, {
      args: ["--demo-upstream", `127.0.0.1:${demoPort}`],
      stateDir,
    });
    let token = "";
    const code = await tokenCommand.run([...tokenArgs, "--state-dir", stateDir], {
      stdout: (text) => token += text.trim(),
      stderr: () => {},
      env: () => undefined,
      signal: new AbortController().signal,
    });
    assert.equal(code, 0);
    for (const step of steps) {
      const got: number[] = [];
      for (let i = 0; i < step.repeat; i++) {
        const headers = Object.fromEntries(
          Object.entries(step.headers).map(([k, v]) => [k, v.replace("$TOKEN", token)]),
        );
        const response = await gateway.fetch(step.url, { headers });
        got.push(response.status);
        await response.body?.cancel();
      }
      assert.deepEqual(got, step.expected, step.line);
    }
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("deno task start serves the bundled example and may write the state folder", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const start: string = config.tasks.start;
  assert.match(start, /main\.ts serve$/);
  assert.match(start, /--allow-write=\.apigw/);
  const token: string = config.tasks.token;
  assert.match(token, /--allow-write=\.apigw .*main\.ts token$/);
});
