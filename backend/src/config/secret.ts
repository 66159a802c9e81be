import { readFileSync } from 'node:fs';
import { SecretRef } from './types';
import { registerSecret } from '../util/redact';

/** Reads a secret from its file or environment variable and registers it for redaction. */
export function readSecret(ref: SecretRef, what: string): string {
  let value: string | undefined;
  if (ref.file) {
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
