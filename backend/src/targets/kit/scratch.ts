/**
 * Scratch and staging databases: what verifications and restores create on a live server to load
 * a snapshot into before anything live is touched. Every such name starts with one fixed prefix,
 * so that they are never backed up, never accepted as a restore destination, and a database
 * account can be granted exactly them (`bsla\_%`).
 */
import { createHash, randomBytes } from 'node:crypto';

/** The reserved prefix of every scratch/staging database (`bsla\_%` in a MySQL grant). */
export const SCRATCH_PREFIX = 'bsla_';

/** verify: a test restore, dropped when checked; restore: staging of a restore, before it takes the live place. */
export type ScratchPurpose = 'verify' | 'restore';

/** Whether a database name is one of ours (scratch or staging): skipped by backups, refused as a destination. */
export function isScratchName(name: string): boolean {
  return name.startsWith(SCRATCH_PREFIX);
}

/**
 * The start of the names of one owner's (target's) scratch databases of one purpose:
 * `bsla_verify_1a2b3c4d_`. A run finds what an earlier, killed run of the same target left by it.
 */
export function scratchPrefix(purpose: ScratchPurpose, owner: string): string {
  const id = createHash('sha256').update(owner).digest('hex').slice(0, 8);
  return `${SCRATCH_PREFIX}${purpose}_${id}_`;
}

/** A fresh scratch name (letters, digits, _; 40 characters at most): `bsla_restore_1a2b3c4d_lx2k9q_3f9a`. */
export function scratchName(purpose: ScratchPurpose, owner: string): string {
  return `${scratchPrefix(purpose, owner)}${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
}
