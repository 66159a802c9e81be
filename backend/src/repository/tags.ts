/**
 * Snapshot tags, written and parsed in one place. Every snapshot carries them so that the catalog
 * can be rebuilt from the repositories alone, and so that a run only ever selects what it wrote
 * itself: by target *and* run identity (docs/design.md §5 rule 7).
 */
export interface SnapshotTags {
  /** The instance (machine's service) that wrote it; null in snapshots of before instances. */
  instance: string | null;
  target: string | null;
  /** The run's identity (a UUID; a number in snapshots written before run identities). */
  run: string | null;
  version: string | null;
  /** A safety snapshot (the state before a restore): not a version. */
  safety: boolean;
}

const SAFETY = 'reason=safety';

export const tags = {
  target: (t: string) => `target=${t}`,
  /**
   * Which instance wrote a snapshot: a repository shared by several machines holds targets of the
   * same name from each (target names are unique per instance only).
   */
  instance: (i: string) => `instance=${i}`,
  run: (uid: string) => `run=${uid}`,
  version: (v: string) => `version=${v.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)}`,
  safety: SAFETY,
  /** The tags of a snapshot a run writes. */
  forSnapshot(o: {
    instance: string;
    target: string;
    run: string;
    version?: string | null;
    safety?: boolean;
  }): string[] {
    return [
      tags.instance(o.instance),
      tags.target(o.target),
      tags.run(o.run),
      ...(o.version ? [tags.version(o.version)] : []),
      ...(o.safety ? [SAFETY] : []),
    ];
  },
  /**
   * Whether a snapshot found by its target tag is this instance's: its instance tag names this
   * one, or it has none (written before instances, by the one service that used the repository).
   */
  isOwn: (list: string[] | undefined, instance: string) => {
    const i = parseTags(list).instance;
    return i === null || i === instance;
  },
  /** restic's filter for the snapshots one run of one target wrote (comma: all of them). */
  ofRun: (target: string, run: string) => `${tags.target(target)},${tags.run(run)}`,
};

export function parseTags(list: string[] | undefined): SnapshotTags {
  const value = (k: string) => list?.find((x) => x.startsWith(`${k}=`))?.slice(k.length + 1) ?? null;
  return {
    instance: value('instance'),
    target: value('target'),
    run: value('run'),
    version: value('version'),
    safety: !!list?.includes(SAFETY),
  };
}
