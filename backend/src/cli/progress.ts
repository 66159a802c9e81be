/** A progress bar for long work on a terminal; silent when output is not a TTY (scripts, CI). */
import cliProgress from 'cli-progress';
import type { Engine, ProgressEvent } from '../engine/engine';

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function attachProgress(engine: Engine): () => void {
  if (!process.stderr.isTTY) {
    return () => undefined;
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
      bytes: e.bytesDone ? human(e.bytesDone) : '',
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
