/** Durations as people write them in the config: `90s`, `30m`, `24h`, `1d`, `4w`, `1h30m`. */
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const PATTERN = /^(\d+[smhdw])+$/;

export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (!PATTERN.test(t)) {
    return null;
  }
  let seconds = 0;
  for (const m of t.matchAll(/(\d+)([smhdw])/g)) {
    seconds += Number(m[1]) * UNITS[m[2]];
  }
  return seconds > 0 ? seconds : null;
}

/** Short human form: 86400 → "24 h", 5400 → "90 min", 1209600 → "14 d". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 120) {
    return `${s} s`;
  }
  if (s < 2 * 3600) {
    return `${Math.round(s / 60)} min`;
  }
  if (s < 3 * 86400) {
    return `${Math.round(s / 3600)} h`;
  }
  return `${Math.round(s / 86400)} d`;
}
