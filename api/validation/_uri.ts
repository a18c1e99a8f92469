/**
 * Go's `url.ParseRequestURI`, which upstream uses to check issuers and JWKS URIs: an absolute
 * URI with a scheme, or an absolute path. Returns the error text Go would print, so messages
 * keep upstream's `err=…` detail (https://pkg.go.dev/net/url#ParseRequestURI).
 */

/** Upstream's `IsInvalidURI`: the error for an empty or unparsable URI, undefined when valid. */
export function invalidURIError(value: string): string | undefined {
  if (value === "") return "value is empty";
  const detail = parseError(value);
  return detail === undefined ? undefined : `parse ${goQuote(value)}: ${detail}`;
}

function parseError(raw: string): string | undefined {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw)) return "net/url: invalid control character in URL";
  if (raw === "*") return undefined;
  const scheme = splitScheme(raw);
  if (typeof scheme === "string") return scheme;
  let rest = scheme.rest;
  const question = rest.indexOf("?");
  if (question >= 0) rest = rest.slice(0, question);
  if (!rest.startsWith("/")) {
    return scheme.scheme !== "" ? undefined : "invalid URI for request";
  }
  if (scheme.scheme !== "" && rest.startsWith("//")) {
    const authority = rest.slice(2).split("/", 1)[0] ?? "";
    const error = authorityError(authority);
    if (error !== undefined) return error;
    rest = rest.slice(2 + authority.length);
  }
  return escapeError(rest, false);
}

function splitScheme(raw: string): { scheme: string; rest: string } | string {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] ?? "";
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return { scheme: "", rest: raw };
      continue;
    }
    if (c === ":") {
      return i === 0
        ? "missing protocol scheme"
        : { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    }
    return { scheme: "", rest: raw };
  }
  return { scheme: "", rest: raw };
}

function authorityError(authority: string): string | undefined {
  const at = authority.lastIndexOf("@");
  const host = at < 0 ? authority : authority.slice(at + 1);
  const hostError = hostParseError(host);
  if (hostError !== undefined) return hostError;
  if (at >= 0 && !/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(authority.slice(0, at))) {
    return "net/url: invalid userinfo";
  }
  return undefined;
}

function hostParseError(host: string): string | undefined {
  let portFrom = -1;
  if (host.startsWith("[")) {
    const close = host.lastIndexOf("]");
    if (close < 0) return "missing ']' in host";
    portFrom = close + 1;
  } else {
    portFrom = host.lastIndexOf(":");
  }
  if (portFrom >= 0) {
    const port = host.slice(portFrom);
    if (port !== "" && !/^:[0-9]*$/.test(port)) return `invalid port ${goQuote(port)} after host`;
  }
  return escapeError(host, true);
}

const HOST_CHARS = /[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]/;

function escapeError(text: string, host: boolean): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c === "%") {
      const escape = text.slice(i, i + 3);
      if (!/^%[0-9a-fA-F]{2}$/.test(escape)) return `invalid URL escape ${goQuote(escape)}`;
      // In a host, %-encoding is only for non-ASCII bytes (and %25 in IPv6 zones).
      if (host && parseInt(escape.slice(1, 2), 16) < 8 && escape !== "%25") {
        return `invalid URL escape ${goQuote(escape)}`;
      }
      i += 2;
    } else if (host && c.charCodeAt(0) < 0x80 && !HOST_CHARS.test(c)) {
      return `invalid character ${goQuote(c)} in host name`;
    }
  }
  return undefined;
}

/** Go's `%q` for the ASCII cases that matter here. */
export function goQuote(text: string): string {
  let out = '"';
  for (const c of text) {
    const code = c.codePointAt(0) ?? 0;
    if (c === '"' || c === "\\") out += `\\${c}`;
    else if (c === "\n") out += "\\n";
    else if (c === "\t") out += "\\t";
    else if (c === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += c;
  }
  return out + '"';
}
