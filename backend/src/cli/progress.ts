/**
 * Progress of long work: a bar on a terminal; otherwise (the daemon under systemd, whose stderr
 * is journald; the CLI in a script with --verbose) a log line when a run enters a new phase and
 * every few seconds while it stays in one, so that a long backup is visibly alive in the journal.
 */
import cliProgress from 'cli-progress';
import type { Logger } from 'pino';
import { formatBytes } from '../util/format';
import type { Engine, ProgressEvent } from '../engine/engine';

/** How often a run still in the same phase is logged (BACKUP_SLA_PROGRESS_INTERVAL, seconds; default 5). */
export function progressIntervalMs(): number {
  const s = Number(process.env.BACKUP_SLA_PROGRESS_INTERVAL);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 5000;
}

/**
 * Logs progress: at once when a run enters a new phase, then at most every `everyMs` while it
 * stays there (with the bytes done so far). Returns the function that stops it.
 */
export function attachProgressLog(engine: Engine, log: Logger, everyMs = progressIntervalMs()): () => void {
  const last = new Map<number, { event: ProgressEvent; at: number }>();
  const write = (e: ProgressEvent, now: number, still = false) => {
    last.set(e.runId, { event: e, at: now });
    log.info(
      {
        run: e.runId,
        target: e.target,
        operation: e.operation,
        phase: e.phase,
        ...(e.bytesDone !== undefined ? { bytes: e.bytesDone } : {}),
      },
      `${e.target} ${e.operation}: ${still ? 'still ' : ''}${e.phase}${e.bytesDone ? `, ${formatBytes(e.bytesDone)}` : ''}`
    );
  };
  const onProgress = (e: ProgressEvent) => {
    const now = Date.now();
    const seen = last.get(e.runId);
    if (seen && seen.event.phase === e.phase && now - seen.at < everyMs) {
      seen.event = e; // the newest bytes, for the next line
      return;
    }
    write(e, now);
  };
  // A phase that reports nothing for a while (a test restore, a scratch server starting) is
  // still logged every `everyMs`: silence in the journal then means the service is stuck.
  const timer = setInterval(() => {
    const now = Date.now();
    for (const { event, at } of last.values()) {
      if (now - at >= everyMs) {
        write(event, now, true);
      }
    }
  }, everyMs);
  timer.unref();
  const onFinished = (o: { runId: number }) => last.delete(o.runId);
  engine.on('progress', onProgress);
  engine.on('finished', onFinished);
  return () => {
    clearInterval(timer);
    engine.off('progress', onProgress);
    engine.off('finished', onFinished);
  };
}

/** A bar on a terminal; progress log lines when not on one and a logger is given; else nothing. */
export function attachProgress(engine: Engine, log: Logger | null = null): () => void {
  if (!process.stderr.isTTY) {
    return log ? attachProgressLog(engine, log) : () => undefined;
  }
  const bar = new cliProgress.SingleBar(
    {
      format: '{target} {operation} | {phase} | {bytes}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic
  );
  let started = false;
  const onProgress = (e: ProgressEvent) => {
    const payload = {
      target: e.target,
      operation: e.operation,
      phase: e.phase,
      bytes: e.bytesDone ? formatBytes(e.bytesDone) : '',
    };
    if (!started) {
      bar.start(1, 0, payload);
      started = true;
    } else {
      bar.update(0, payload);
    }
  };
  engine.on('progress', onProgress);
  return () => {
    engine.off('progress', onProgress);
    if (started) {
      bar.stop();
    }
  };
}
