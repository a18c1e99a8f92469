/** Throwaway credentials for one control plane: the service-account key and the admin token. */

/** An RSA-2048 private key as PKCS#8 PEM, for `--service-account-(signing-)key-file`. */
export async function serviceAccountKeyPem(): Promise<string> {
  // Not ECDSA: the public-key reader behind --service-account-key-file wants EC keys in SEC1 form.
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const base64 = btoa(String.fromCharCode(...der));
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

/** 32 random bytes as hex. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** One `--token-auth-file` line that makes `token` the admin in `system:masters`. */
export function adminTokenLine(token: string): string {
  return `${token},admin,admin-uid,"system:masters"\n`;
}
