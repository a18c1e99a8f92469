/** v1beta1 mutators as the v2 `request` block: static header and cookie values only. */
import type { Handler } from "../../api/apirule/v1beta1.ts";
import type { Result } from "../result.ts";
import type { Step } from "./types.ts";

/** `header`/`cookie` mutators with static values → `request.headers`/`request.cookies`. */
export function requestOf(
  mutators: readonly Handler[],
  index: number,
): Result<{ request?: Record<string, unknown>; steps: Step[] }, string[]> {
  const headers: Record<string, string> = {};
  const cookies: Record<string, string> = {};
  const problems: string[] = [];
  const steps: Step[] = [];
  for (const [j, mutator] of mutators.entries()) {
    const where = `mutators[${j}]`;
    const config = isRecord(mutator.config) ? mutator.config : {};
    switch (mutator.handler) {
      case "noop":
        steps.push({
          rule: index,
          rewrite: "request",
          detail: "noop mutator dropped (sets nothing)",
        });
        break;
      case "header":
      case "cookie": {
        const key = mutator.handler === "header" ? "headers" : "cookies";
        const values = isRecord(config[key]) ? config[key] : {};
        const target = mutator.handler === "header" ? headers : cookies;
        for (const [name, value] of Object.entries(values)) {
          if (typeof value !== "string") {
            problems.push(`${where}.config.${key}.${name}: not a string`);
          } else if (value.includes("{{")) {
            problems.push(
              `${where}.config.${key}.${name}: "${value}" is a template of the authenticated ` +
                "session; v2 request values are static",
            );
          } else target[name] = value;
        }
        steps.push({
          rule: index,
          rewrite: "request",
          detail: `${mutator.handler} mutator → request.${key} ${Object.keys(values).join(", ")}`,
        });
        break;
      }
      default:
        problems.push(
          `${where}: mutator "${mutator.handler}" has no v2 form (v2 sets only static ` +
            "headers and cookies)",
        );
    }
  }
  if (problems.length > 0) return { ok: false, error: problems };
  const request = {
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(Object.keys(cookies).length > 0 ? { cookies } : {}),
  };
  return {
    ok: true,
    value: { ...(Object.keys(request).length > 0 ? { request } : {}), steps },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
