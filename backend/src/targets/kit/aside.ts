/**
 * Names for live data a restore moves aside (kept, never dropped by the restore):
 * `<name>_before_restore_<UTC time>`, e.g. `agama_before_restore_20250131T101500Z`. The time
 * says when; the fixed middle part is how `aside list` and the safety checks of `aside remove`
 * recognise such a name.
 */
import { createHash } from 'node:crypto';

export const ASIDE_MARK = '_before_restore_';

function stamp(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * The aside name of `name` at `at`, at most `maxLength` characters (MySQL: 64): a name too long
 * for the suffix is shortened and gets 6 hex of its hash, so two long names never share one.
 * `attempt` > 1 gives another name for a second restore within the same second.
 */
export function asideName(name: string, at: Date, maxLength = 64, attempt = 1): string {
  const suffix = `${ASIDE_MARK}${stamp(at)}${attempt > 1 ? `_${attempt}` : ''}`;
  if (name.length + suffix.length <= maxLength) {
    return `${name}${suffix}`;
  }
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `${name.slice(0, maxLength - suffix.length - 7)}_${hash}${suffix}`;
}

/** Whether `candidate` is a name asideName() makes (of any name, at any time). */
export function isAsideName(candidate: string): boolean {
  return /_before_restore_\d{8}T\d{6}Z(_\d+)?$/.test(candidate);
}
