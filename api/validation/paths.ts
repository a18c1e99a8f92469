/**
 * Path checks of APIRule v2 (docs/spec/apirule-v2.md §13.2, §13.5): the `{**}` operator rules P1/P2 per
 * rule, and the path conflict check P3 across rules.
 */
import type { HttpMethod } from "../apirule/v2.ts";
import type { Failure } from "./failure.ts";
import { covers } from "./_path_cover.ts";

/** P1 and P2 for one rule path; `attributePath` is `.spec.rules[i].path`. */
export function pathTemplateFailures(attributePath: string, path: string): Failure[] {
  const doubleStars = path.split("{**}").length - 1;
  if (doubleStars === 0) return [];
  if (doubleStars > 1) {
    return [{ attributePath, message: "Only one {**} operator is allowed in the path." }];
  }
  let afterDoubleStar = false;
  for (const segment of path.replace(/^\/+/, "").split("/")) {
    if (segment !== "{*}" && segment !== "{**}") continue;
    if (afterDoubleStar) {
      return [{
        attributePath,
        message: "The {**} operator must be the last operator in the path.",
      }];
    }
    afterDoubleStar = segment === "{**}";
  }
  return [];
}

/** A rule as P3 sees it: where it sits in `spec.rules`, its path and its methods. */
export interface PathRule {
  index: number;
  path: string;
  methods: readonly HttpMethod[];
}

/**
 * P3: a rule whose every request for a method is already matched by one earlier rule with that
 * method can never be reached for it. Upstream approximates this with a segment trie, with false
 * positives and a false negative (§13.5, D3); this is the exact test, which the spec allows.
 * Like upstream, at most one conflict is reported: the first later rule and method, in order.
 */
export function pathConflictFailures(rules: readonly PathRule[]): Failure[] {
  for (const [position, later] of rules.entries()) {
    for (const method of later.methods) {
      const shadowing = rules.slice(0, position).find((earlier) =>
        earlier.methods.includes(method) && covers(earlier.path, later.path)
      );
      if (shadowing !== undefined) {
        return [{
          attributePath: ".spec.rules",
          message: `Path ${
            later.path === "/*" ? "/{**}" : later.path
          } with method ${method} conflicts with at least one of the previous rule paths`,
        }];
      }
    }
  }
  return [];
}
