import assert from "node:assert/strict";
import { pathRegex, policyPath, uriMatch } from "./paths.ts";

Deno.test("uriMatch() follows the spec's examples", async (t) => {
  const cases: Array<[string, unknown]> = [
    ["/*", { prefix: "/" }],
    ["/", { regex: "^/$" }],
    ["/headers", { regex: "^/headers$" }],
    ["/test/{*}", { regex: "^/test/([A-Za-z0-9-._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$" }],
    ["/test/{**}", { regex: "^/test/([A-Za-z0-9-._~!$&'()*+,;=:@/]|%[0-9a-fA-F]{2})*$" }],
    ["/{**}", { regex: "^/([A-Za-z0-9-._~!$&'()*+,;=:@/]|%[0-9a-fA-F]{2})*$" }],
  ];
  for (const [path, expected] of cases) {
    await t.step(path, () => assert.deepEqual(uriMatch(path), expected));
  }
});

Deno.test("pathRegex() escapes regex metacharacters in literal segments (fixes D2)", async (t) => {
  const cases: Array<[string, string, string]> = [
    ["/file.txt", "/file.txt", "/fileXtxt"],
    ["/a$b", "/a$b", "/a"],
    ["/(x)", "/(x)", "/x"],
    ["/a+", "/a+", "/aaa"],
  ];
  for (const [path, matching, upstreamFalsePositive] of cases) {
    await t.step(path, () => {
      const regex = new RegExp(`^${pathRegex(path)}$`);
      assert.equal(regex.test(matching), true, `${path} must match itself`);
      assert.equal(
        regex.test(upstreamFalsePositive),
        false,
        `${path} must not match ${upstreamFalsePositive}`,
      );
    });
  }
});

Deno.test("pathRegex() operators match the segments the spec says", () => {
  const multi = new RegExp(`^${pathRegex("/test/{**}")}$`);
  assert.equal(multi.test("/test/"), true);
  assert.equal(multi.test("/test/a/b"), true);
  assert.equal(multi.test("/test"), false);
  const one = new RegExp(`^${pathRegex("/test/{*}")}$`);
  assert.equal(one.test("/test/a"), true);
  assert.equal(one.test("/test/"), false);
  assert.equal(one.test("/test/a/b"), false);
  assert.equal(one.test("/test/%2"), false);
});

Deno.test("policyPath() turns /* into /{**} and passes templates through", () => {
  assert.equal(policyPath("/*"), "/{**}");
  assert.equal(policyPath("/a/{*}/b"), "/a/{*}/b");
});
