/** Parses the `export NAME='value'` lines printed by `scripts/services.sh env`. */
export function parseExports(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const m = /^export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) {
      throw new Error(`unexpected line from services.sh env: ${line}`);
    }
    // Single-quoted words ('\'' for a quote), bare words and backslash escapes.
    let out = '';
    const word = m[2];
    for (let i = 0; i < word.length;) {
      if (word[i] === "'") {
        const end = word.indexOf("'", i + 1);
        if (end < 0) {
          throw new Error(`unterminated quote in: ${word}`);
        }
        out += word.slice(i + 1, end);
        i = end + 1;
      } else if (word[i] === '\\' && i + 1 < word.length) {
        out += word[i + 1];
        i += 2;
      } else {
        out += word[i];
        i += 1;
      }
    }
    result[m[1]] = out;
  }
  return result;
}

export function need(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(
      `${name} is not set: run through e2e/jest.config.js (its global setup) or eval "$(bash scripts/services.sh env)"`
    );
  }
  return v;
}
