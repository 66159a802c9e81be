/**
 * A point in time as a person gives it to `restore --at`: the service's local time
 * ("2026-11-29 14:32:05", seconds optional) or ISO 8601 with an offset ("2026-11-29T14:32:05+01:00",
 * "…Z"). A local time that does not exist (the hour skipped when clocks go forward) is refused; one
 * that exists twice (the hour repeated when they go back) means the first: give an offset to choose.
 */
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

export function parsePointInTime(text: string): Date | { problem: string } {
  const t = text.trim();
  if (WITH_OFFSET.test(t)) {
    const d = new Date(t.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return Number.isNaN(d.getTime()) ? { problem: `'${text}' is not a valid time` } : d;
  }
  const m = LOCAL.exec(t);
  if (!m) {
    return {
      problem: `'${text}' is not a time: use the local time "YYYY-MM-DD HH:MM:SS" or ISO 8601 with an offset ("2026-11-29T14:32:05+01:00")`,
    };
  }
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0));
  const date = new Date(y, mo - 1, d, h, mi, s);
  if (
    date.getFullYear() !== y ||
    date.getMonth() !== mo - 1 ||
    date.getDate() !== d ||
    date.getHours() !== h ||
    date.getMinutes() !== mi
  ) {
    return {
      problem: `'${text}' does not exist in the service's local time (a date out of range, or an hour skipped by a clock change)`,
    };
  }
  return date;
}
