/**
 * The size caps of a watched config folder, shared by `apigw serve` and `apigw authz --config`
 * (docs/upstream-differences.md, "Data-plane limits").
 */
import type { Result, StringSpec } from "../config.ts";
import { type ConfigCaps, DEFAULT_CONFIG_CAPS } from "../proxy/config_files.ts";

/** `65536`, `64Ki` or `10Mi`: a positive number of bytes. */
export function byteCount(raw: string): Result<number, string> {
  const match = /^(\d+)(Ki|Mi)?$/.exec(raw);
  if (match === null) {
    return { ok: false, error: `"${raw}" is not a size like 65536, 64Ki or 10Mi` };
  }
  const unit = match[2] === "Ki" ? 1024 : match[2] === "Mi" ? 1024 * 1024 : 1;
  const value = Number(match[1]) * unit;
  return Number.isSafeInteger(value) && value > 0
    ? { ok: true, value }
    : { ok: false, error: `"${raw}" must be a positive size` };
}

export const CONFIG_MAX_FILE_OPTION: StringSpec<number> & { default: string } = {
  type: "string",
  help:
    "Largest config file; a bigger one is refused by its size, unread (last good config serves)",
  env: "APIGW_CONFIG_MAX_FILE_BYTES",
  // A thousand APIRules fit in well under 1Mi.
  default: `${DEFAULT_CONFIG_CAPS.maxFileBytes / 1024 / 1024}Mi`,
  parse: byteCount,
};

export const CONFIG_MAX_FOLDER_OPTION: StringSpec<number> & { default: string } = {
  type: "string",
  help: "Largest sum of the config folder's files; beyond it a reload is refused, unread",
  env: "APIGW_CONFIG_MAX_FOLDER_BYTES",
  default: `${DEFAULT_CONFIG_CAPS.maxFolderBytes / 1024 / 1024}Mi`,
  parse: byteCount,
};

/** The caps the two options give. */
export function configCaps(
  options: { "config-max-file-bytes": number; "config-max-folder-bytes": number },
): ConfigCaps {
  return {
    maxFileBytes: options["config-max-file-bytes"],
    maxFolderBytes: options["config-max-folder-bytes"],
  };
}
