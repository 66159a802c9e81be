/**
 * When a cron schedule fires next, and when it last should have fired (for catch-up after the
 * service was down). node-cron parses the expression; this walks the calendar with it, skipping
 * whole days and hours that cannot match, so a yearly schedule costs a few hundred steps.
 */
import cron from 'node-cron';

interface Fields {
  minute: Set<number>;
  hour: Set<number>;
  dom: Set<number>;
  month: Set<number>;
  dow: Set<number>;
  domRestricted: boolean;
  dowRestricted: boolean;
}

const cache = new Map<string, Fields>();

function fields(expr: string): Fields {
  let f = cache.get(expr);
  if (!f) {
    const p = cron.parse(expr);
    const dow = new Set((p.dayOfWeek as number[]).map((d) => d % 7));
    f = {
      minute: new Set(p.minute),
      hour: new Set(p.hour),
      dom: new Set(p.dayOfMonth as number[]),
      month: new Set(p.month),
      dow,
      domRestricted: p.dayOfMonth.length < 31,
      dowRestricted: dow.size < 7,
    };
    cache.set(expr, f);
  }
  return f;
}

function dayMatches(f: Fields, d: Date): boolean {
  if (!f.month.has(d.getMonth() + 1)) {
    return false;
  }
  const dom = f.dom.has(d.getDate());
  const dow = f.dow.has(d.getDay());
  // Vixie cron: when both day fields are restricted, either may match.
  if (f.domRestricted && f.dowRestricted) {
    return dom || dow;
  }
  return dom && dow;
}

const MAX_STEPS = 200_000;

/** The first minute strictly after `after` at which the schedule fires. */
export function nextSlot(expr: string, after: Date): Date | null {
  const f = fields(expr);
  const d = new Date(after.getTime());
  d.setSeconds(0, 0);
  d.setMinutes(d.getMinutes() + 1);
  for (let i = 0; i < MAX_STEPS; i++) {
    if (!dayMatches(f, d)) {
      d.setDate(d.getDate() + 1);
      d.setHours(0, 0, 0, 0);
    } else if (!f.hour.has(d.getHours())) {
      d.setHours(d.getHours() + 1, 0, 0, 0);
    } else if (!f.minute.has(d.getMinutes())) {
      d.setMinutes(d.getMinutes() + 1, 0, 0);
    } else {
      return d;
    }
  }
  return null;
}

/** The last minute at or before `before` at which the schedule fired. */
export function previousSlot(expr: string, before: Date): Date | null {
  const f = fields(expr);
  const d = new Date(before.getTime());
  d.setSeconds(0, 0);
  for (let i = 0; i < MAX_STEPS; i++) {
    if (!dayMatches(f, d)) {
      d.setHours(0, 0, 0, 0);
      d.setMinutes(-1);
    } else if (!f.hour.has(d.getHours())) {
      d.setMinutes(0, 0, 0);
      d.setMinutes(-1);
    } else if (!f.minute.has(d.getMinutes())) {
      d.setMinutes(d.getMinutes() - 1, 0, 0);
    } else {
      return d;
    }
  }
  return null;
}
