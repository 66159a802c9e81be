/**
 * Prune: gives back the space of forgotten snapshots (`restic prune`). A repository shared by
 * several instances is pruned by the one its configuration names (`pruneBy`), on its
 * `pruneSchedule` and after its own forgets; the other instances only forget. Not an operation on
 * a target (no run, no target lock): it is logged and audited.
 */
import type { Actor } from '../../config/types';
import type { Core } from '../core';
import { oneLine } from '../core';
import { InvalidRequestError, NotFoundError } from '../errors';

export async function prune(engine: Core, repository: string, who: Actor): Promise<{ seconds: number }> {
  const cfg = Object.hasOwn(engine.config.repositories, repository) ? engine.config.repositories[repository] : null;
  if (!cfg) {
    throw new NotFoundError(
      `unknown repository '${repository}' (configured: ${Object.keys(engine.config.repositories).join(', ')})`
    );
  }
  if (!cfg.prune) {
    throw new InvalidRequestError(
      `repository ${repository} is shared and pruned by instance ${cfg.pruneBy}, not by this one (${engine.config.instance})`
    );
  }
  const audit = (detail: string, result: 'ok' | 'failed') =>
    engine.catalog.audit(
      { actor: who.name, role: who.role, action: 'prune', target: null, detail, result },
      engine.now()
    );
  const started = Date.now();
  const log = engine.log.child({ repository, operation: 'prune' });
  log.info({ actor: who.name }, 'prune started');
  try {
    await engine.repository(repository).prune();
  } catch (e) {
    log.error({ err: oneLine(e) }, 'prune failed');
    audit(`repository ${repository}: ${oneLine(e)}`, 'failed');
    throw e;
  }
  const seconds = (Date.now() - started) / 1000;
  log.info({ seconds }, 'prune finished');
  audit(`repository ${repository} pruned in ${seconds.toFixed(1)} s`, 'ok');
  return { seconds };
}
