import { readFileSync, statSync } from 'node:fs';
import { SecretRef } from './types';
import { registerSecret } from '../util/redact';

/**
 * What is wrong with the permissions of a secret file, with the command that fixes it; null when
 * nothing is. A secret must not be readable or writable by others, nor writable by its group
 * (readable by the group is allowed: root:backup-sla 0640 lets the service read a file root owns).
 */
export function secretFileProblem(file: string): string | null {
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'file does not exist' : `cannot read ${file}: ${code ?? String(e)}`;
  }
  if (mode & 0o007) {
    return `${file} is ${mode & 0o004 ? 'readable' : 'accessible'} by others (mode ${octal(mode)}): run chmod 600 ${file}`;
  }
  if (mode & 0o020) {
    return `${file} is writable by its group (mode ${octal(mode)}): run chmod 600 ${file}`;
  }
  return null;
}

/**
 * What is wrong with the permissions of the configuration file: whoever may write it decides
 * what the service backs up, restores and runs, so only its owner may.
 */
export function configFileProblem(file: string): string | null {
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    return null; // reported by the read that follows
  }
  if (mode & 0o022) {
    return `the configuration is writable by ${mode & 0o002 ? 'others' : 'its group'} (mode ${octal(mode)}): run chmod go-w ${file}`;
  }
  return null;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

/** Reads a secret from its file or environment variable and registers it for redaction. */
export function readSecret(ref: SecretRef, what: string): string {
  let value: string | undefined;
  if (ref.file) {
    const problem = secretFileProblem(ref.file);
    if (problem && problem !== 'file does not exist') {
      throw new Error(`${what}: ${problem}`);
    }
    try {
      value = readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new Error(`${what}: cannot read secret file ${ref.file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  } else if (ref.env) {
    value = process.env[ref.env];
    if (value === undefined) {
      throw new Error(`${what}: environment variable ${ref.env} is not set`);
    }
  }
  if (!value) {
    throw new Error(`${what}: the secret is empty`);
  }
  registerSecret(value);
  return value;
}

/** The least length of an API token: 32 characters (e.g. `openssl rand -hex 16` or `head -c 24 /dev/urandom | base64`). */
export const MIN_TOKEN_LENGTH = 32;

/** What is wrong with a token's strength, or null. */
export function tokenProblem(token: string): string | null {
  const length = [...token].length;
  if (length < MIN_TOKEN_LENGTH) {
    return `the token is ${length} characters long; at least ${MIN_TOKEN_LENGTH} are needed (e.g. openssl rand -hex 24)`;
  }
  if (/\s/.test(token)) {
    return 'the token contains white space';
  }
  if (new Set(token).size < 8) {
    return `the token uses only ${new Set(token).size} different characters: use a random one (e.g. openssl rand -hex 24)`;
  }
  return null;
}
