import assert from "node:assert/strict";
import { invalidURIError } from "./_uri.ts";

Deno.test("invalidURIError() says what Go's url.ParseRequestURI says", async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ["https://auth.example.com/.well-known/jwks.json", undefined],
    ["http://localhost:8080/keys", undefined],
    ["file:///etc/keys.json", undefined],
    ["/keys.json", undefined],
    ["urn:example:issuer", undefined],
    ["", "value is empty"],
    ["keys.json", 'parse "keys.json": invalid URI for request'],
    ["://example", 'parse "://example": missing protocol scheme'],
    ["https://host:port/x", 'parse "https://host:port/x": invalid port ":port" after host'],
    ["https://a b/x", 'parse "https://a b/x": invalid character " " in host name'],
    ["https://host/%zz", 'parse "https://host/%zz": invalid URL escape "%zz"'],
    ["https://[::1/x", `parse "https://[::1/x": missing ']' in host`],
    ["https://host/\n", 'parse "https://host/\\n": net/url: invalid control character in URL'],
  ];
  for (const [uri, expected] of cases) {
    await t.step(JSON.stringify(uri), () => assert.equal(invalidURIError(uri), expected));
  }
});
