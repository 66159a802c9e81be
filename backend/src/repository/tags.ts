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
/** Marks a snapshot of the log archive (point-in-time recovery): never a version. */
const ARCHIVE = 'pitr=binlog';

/** What an archive snapshot's tags say about the log file it holds (enough to rebuild the catalog). */
export interface ArchiveTags {
  file: string;
  end: number;
  pieces: number;
  firstEventAt: number | null;
  lastEventAt: number | null;
  complete: boolean;
  /** It does not continue the file archived before it. */
  gap: boolean;
  /** When its archiving began (ISO), for the order of files. */
  startedAt: string;
}

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
  archive: ARCHIVE,
  /** The tags of an archive snapshot (no run: no run ever selects it for cleanup). */
  forArchive(instance: string, target: string, a: ArchiveTags): string[] {
    return [
      tags.instance(instance),
      tags.target(target),
      ARCHIVE,
      `binlog=${a.file.replace(/[^A-Za-z0-9._-]/g, '_')}`,
      `binlog-end=${a.end}`,
      `binlog-pieces=${a.pieces}`,
      ...(a.firstEventAt !== null ? [`binlog-first=${a.firstEventAt}`] : []),
      ...(a.lastEventAt !== null ? [`binlog-last=${a.lastEventAt}`] : []),
      `binlog-started=${a.startedAt}`,
      ...(a.complete ? ['binlog-complete'] : []),
      ...(a.gap ? ['binlog-gap'] : []),
    ];
  },
};

export function isArchive(list: string[] | undefined): boolean {
  return !!list?.includes(ARCHIVE);
}

export function parseArchiveTags(list: string[] | undefined): ArchiveTags | null {
  if (!isArchive(list)) {
    return null;
  }
  const value = (k: string) => list?.find((x) => x.startsWith(`${k}=`))?.slice(k.length + 1) ?? null;
  const num = (k: string) => (value(k) === null ? null : Number(value(k)));
  const file = value('binlog');
  if (!file) {
    return null;
  }
  return {
    file,
    end: num('binlog-end') ?? 0,
    pieces: num('binlog-pieces') ?? 0,
    firstEventAt: num('binlog-first'),
    lastEventAt: num('binlog-last'),
    complete: !!list?.includes('binlog-complete'),
    gap: !!list?.includes('binlog-gap'),
    startedAt: value('binlog-started') ?? '',
  };
}

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
