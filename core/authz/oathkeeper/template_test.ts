import assert from "node:assert/strict";
import { compileTemplate, renderTemplate } from "./template.ts";

const SESSION = {
  subject: "alice",
  extra: { email: "a@example.com", nested: { id: 7 }, "x-y": "dash", groups: ["a", "b"] },
  match: { method: "GET", host: "orders.example.com", path: "/orders/1" },
};

Deno.test("renderTemplate() renders the Go template forms Oathkeeper configs use", async (t) => {
  const cases: Array<[string, string]> = [
    ["{{ print .Subject }}", "alice"],
    ["{{.Subject}}", "alice"],
    ["user={{ .Extra.email }};", "user=a@example.com;"],
    ["{{ print .Extra.nested.id }}", "7"],
    ['{{ index .Extra "x-y" }}', "dash"],
    ["{{ .Extra.groups }}", "[a b]"],
    ["{{ .Extra.missing }}", ""],
    [
      "{{ .MatchContext.Method }} {{ .MatchContext.URL.Host }}{{ .MatchContext.URL.Path }}",
      "GET orders.example.com/orders/1",
    ],
    ["static", "static"],
  ];
  for (const [source, expected] of cases) {
    await t.step(source, () => {
      const compiled = compileTemplate(source);
      assert.ok(compiled.ok, source);
      if (compiled.ok) assert.equal(renderTemplate(compiled.value, SESSION), expected);
    });
  }
});

Deno.test("compileTemplate() refuses what it cannot render the way Go would", () => {
  for (
    const source of [
      "{{ .Foo }}",
      "{{ range .Extra }}{{ end }}",
      "{{ .Subject | upper }}",
      "{{ .Subject",
      "{{ .MatchContext.Header }}",
    ]
  ) {
    assert.equal(compileTemplate(source).ok, false, source);
  }
});
