/**
 * `apigw authz --grpc-max-*` flags (cli/grpc_limit_options.ts) reach apigw's HTTP/2 layer on both
 * gRPC listeners: with `--grpc-max-concurrent-streams 2 --grpc-max-connections 1` a raw client
 * over a real socket sees SETTINGS_MAX_CONCURRENT_STREAMS 2, its third open stream refused
 * (REFUSED_STREAM) and a second connection closed unanswered, on `--grpc-listen` and on
 * `--rls-listen` alike. Bad values stop startup naming the flag.
 */
import assert from "node:assert/strict";
import { runCli } from "../../cli/mod.ts";
import {
  ERROR,
  FLAG,
  frame,
  PREFACE,
  readWord,
  SETTING,
  settingsFrame,
  TYPE,
} from "../../proxy/grpc/h2/frames.ts";
import { encodeHeaders } from "../../proxy/grpc/h2/hpack_encoder.ts";
import { RawClient } from "../../proxy/grpc/h2/_testing.ts";
import { poll } from "../poll.ts";
import { startGrpcAuthz } from "./_peers.ts";

const RLS_CONFIG = `
domain: limits
descriptors:
  - key: user
    rate_limit: { unit: minute, requests_per_unit: 3 }
`;

/** A raw h2c connection to `address` (`127.0.0.1:port`), no preface sent yet. */
function rawTo(address: string): Promise<RawClient> {
  return RawClient.connect(Number(address.split(":").at(-1)), false);
}

/** The value of `setting` in a SETTINGS payload. */
function settingOf(payload: Uint8Array, setting: number): number | undefined {
  for (let at = 0; at + 6 <= payload.length; at += 6) {
    if (((payload[at]! << 8) | payload[at + 1]!) === setting) return readWord(payload, at + 2);
  }
  return undefined;
}

/** HEADERS opening a gRPC call on `stream` whose message never comes. */
function openCall(stream: number, path: string): Uint8Array {
  const block = encodeHeaders([
    [":method", "POST"],
    [":scheme", "http"],
    [":path", path],
    [":authority", "localhost"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
  ]);
  return frame(TYPE.HEADERS, FLAG.END_HEADERS, stream, block);
}

Deno.test("apigw authz --grpc-max-concurrent-streams and --grpc-max-connections limit both gRPC listeners", async (t) => {
  const rules = await Deno.makeTempDir({ prefix: "apigw-limits-rules-" });
  const rlsConfig = await Deno.makeTempDir({ prefix: "apigw-limits-rls-" });
  await Deno.writeTextFile(`${rlsConfig}/limits.yaml`, RLS_CONFIG);
  try {
    await using authz = await startGrpcAuthz(rules, [
      ...["--rls-listen", "127.0.0.1:0", "--rls-config", rlsConfig],
      ...["--grpc-max-concurrent-streams", "2", "--grpc-max-connections", "1"],
    ]);
    const serving = authz.logs.find((l) => l.msg === "Serving ext_authz")!;
    const listeners: [string, string, string][] = [
      ["--grpc-listen", String(serving.grpc), "/envoy.service.auth.v3.Authorization/Check"],
      [
        "--rls-listen",
        String(serving.rls),
        "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit",
      ],
    ];
    for (const [flag, address, path] of listeners) {
      await t.step(flag, async () => {
        using held = await rawTo(address);
        await held.send(PREFACE, settingsFrame([]));
        const settings = (await held.until((f) => f.type === TYPE.SETTINGS)).at(-1);
        assert.equal(settings?.type, TYPE.SETTINGS);
        assert.equal(settingOf(settings!.payload, SETTING.MAX_CONCURRENT_STREAMS), 2);
        await held.send(
          frame(TYPE.SETTINGS, FLAG.ACK, 0),
          openCall(1, path),
          openCall(3, path),
          openCall(5, path),
        );
        const refused = (await held.until((f) => f.stream === 5)).at(-1);
        assert.equal(refused?.type, TYPE.RST_STREAM, "the third stream was not reset");
        assert.equal(readWord(refused!.payload, 0), ERROR.REFUSED_STREAM);

        // The one connection the listener serves is taken: the next one is closed unanswered.
        using second = await rawTo(address);
        await second.send(PREFACE, settingsFrame([])).catch(() => {});
        const got = await second.until(() => true);
        assert.deepEqual(got, [], "the second connection got frames");
        assert.equal(second.closed, true, "the second connection stayed open");
      });
    }
    // A freed slot serves again.
    await poll(async () => {
      using again = await rawTo(String(serving.grpc));
      await again.send(PREFACE, settingsFrame([])).catch(() => {});
      return (await again.until((f) => f.type === TYPE.SETTINGS, 1_000)).length > 0 || undefined;
    }, { what: "a connection after the held one closed", timeoutMs: 10_000 });
  } finally {
    await Deno.remove(rules, { recursive: true });
    await Deno.remove(rlsConfig, { recursive: true });
  }
});

Deno.test("apigw authz refuses bad --grpc-* limit values, naming each flag", async () => {
  const errors: string[] = [];
  const code = await runCli([
    "authz",
    ...["--config", "/nonexistent/apigw", "--grpc-listen", "127.0.0.1:0"],
    ...["--grpc-max-concurrent-streams", "0", "--grpc-max-connections=-1"],
    ...["--grpc-idle-timeout-ms", "soon", "--grpc-max-header-list-bytes", "2Mi"],
    ...["--grpc-handshake-timeout-ms", "5"],
  ], {
    stdout: () => {},
    stderr: (text) => errors.push(text),
    env: () => undefined,
    signal: new AbortController().signal,
  });
  assert.equal(code, 2);
  const text = errors.join("");
  for (
    const flag of [
      "--grpc-max-concurrent-streams",
      "--grpc-max-connections",
      "--grpc-idle-timeout-ms",
      "--grpc-max-header-list-bytes",
      "--grpc-handshake-timeout-ms",
    ]
  ) {
    assert.match(text, new RegExp(`Option ${flag}: `), `no problem named ${flag}: ${text}`);
  }
});
