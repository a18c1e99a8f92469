/** `--dashboard-listen` of `apigw serve` and `apigw authz`: off unless given, loopback by default. */
import type { Result } from "../config.ts";
import { listenAddress } from "./authz.ts";

/** `PORT` (on 127.0.0.1) or `HOST:PORT`. */
export function dashboardAddress(raw: string): Result<{ hostname: string; port: number }, string> {
  if (/^\d{1,5}$/.test(raw)) return listenAddress(`127.0.0.1:${raw}`);
  return listenAddress(raw);
}

export function dashboardListenOption(env: string) {
  return {
    type: "string",
    help: "Serve the read-only dashboard here: PORT (on 127.0.0.1) or HOST:PORT; off by default",
    env,
    parse: dashboardAddress,
  } as const;
}
