/** `Result` for core/ and the shell; defined once in api/. */
export { err, ok, type Result } from "../api/result.ts";
