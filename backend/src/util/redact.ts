/**
 * Secrets (passwords, tokens) are registered here when they are read, and every text that leaves
 * the service (logs, error messages, API answers, CLI output) goes through `redact`.
 */
const secrets = new Set<string>();

export function registerSecret(value: string): void {
  const v = value.trim();
  // Very short values would redact ordinary words; secrets this short are refused at load anyway.
  if (v.length >= 4) {
    secrets.add(v);
  }
}

/** `scheme://user:password@host`: the userinfo of a URL (a repository URL may carry credentials). */
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi;

export function redact(text: string): string {
  let out = text.replace(URL_USERINFO, '$1[redacted]@');
  for (const s of secrets) {
    if (out.includes(s)) {
      out = out.split(s).join('[redacted]');
    }
  }
  return out;
}

/** For tests only. */
export function registeredSecrets(): string[] {
  return [...secrets];
}
