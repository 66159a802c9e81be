import pino, { Logger } from 'pino';
import { redact } from './redact';

/**
 * The service's logger. Everything logged passes through `redact`, so a secret that reached an
 * error message (a program echoing its command line, a URL with a password) never reaches a log.
 */
export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.BACKUP_SLA_LOG_LEVEL ?? 'info',
      base: undefined,
      hooks: {
        streamWrite: (s: string) => redact(s),
      },
    },
    options.destination ?? pino.destination(2)
  );
}

/** A logger that writes nothing (tests, one-shot CLI commands at default verbosity). */
export const silentLogger: Logger = pino({ level: 'silent' });
