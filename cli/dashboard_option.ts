/** `--dashboard-listen` of `apigw serve` and `apigw authz`: off unless given, loopback by default. */
import type { Result } from "../config.ts";

type Address = { hostname: string; port: number };

/**
 * The option, over the commands' `HOST:PORT` parser (passed in: `cli/authz.ts` owns it and
 * imports this module). A bare `PORT` listens on 127.0.0.1.
 */
export function dashboardListenOption(
  env: string,
  listenAddress: (raw: string) => Result<Address, string>,
) {
  return {
    type: "string",
    help: "Serve the read-only dashboard here: PORT (on 127.0.0.1) or HOST:PORT; off by default",
    env,
    parse: (raw: string) =>
      /^\d{1,5}$/.test(raw) ? listenAddress(`127.0.0.1:${raw}`) : listenAddress(raw),
  } as const;
}
