import { backupSla } from '../../api/client';
import { describeError, toServiceError } from '../../api/errors';
import type { Role } from '../../api/types';

export interface ConnectionCheck {
  /** What was tried, e.g. "Viewer token (GET api/whoami)". */
  label: string;
  ok: boolean;
  /** What came back, in plain words. */
  message: string;
}

const CHECKS: Array<{
  label: string;
  method: 'GET' | 'POST';
  path: 'api/whoami' | 'api/restores/whoami';
  expect: Role;
  token: string;
}> = [
  { label: 'Viewer token (GET api/whoami)', method: 'GET', path: 'api/whoami', expect: 'viewer', token: 'viewer' },
  {
    label: 'Operator token (POST api/whoami)',
    method: 'POST',
    path: 'api/whoami',
    expect: 'operator',
    token: 'operator',
  },
  {
    label: 'Admin token (POST api/restores/whoami)',
    method: 'POST',
    path: 'api/restores/whoami',
    expect: 'admin',
    token: 'admin',
  },
];

/**
 * Asks the service, through the same proxy routes the pages use, which role each configured token
 * has. It tests the saved settings: Grafana's proxy reads them, not this form.
 */
export async function testConnection(): Promise<ConnectionCheck[]> {
  const results: ConnectionCheck[] = [];
  for (const check of CHECKS) {
    try {
      const { role } = await backupSla.whoami(check.method, check.path);
      results.push(
        role === check.expect
          ? { label: check.label, ok: true, message: `accepted as ${role}` }
          : {
              label: check.label,
              ok: false,
              message:
                `the service took this token as its ${role} token, not the ${check.expect} one. ` +
                `Paste the content of the service's ${check.token} token file into the ${check.token} token field.`,
            }
      );
    } catch (err) {
      const e = toServiceError(err);
      let message: string;
      switch (e.kind) {
        case 'unreachable':
          message =
            "the service cannot be reached: check that the service (backup-sla serve) is running and that the service URL is right, as Grafana's server sees it.";
          break;
        case 'unauthorized':
          message = `the service rejected the ${check.token} token (401): it does not match the service's ${check.token} token file.`;
          break;
        case 'forbidden':
          message = e.fromService
            ? `the service refused this token for this route (403): it is not the ${check.token} token.`
            : 'Grafana refused the route for your role (403).';
          break;
        case 'notFound':
          message = e.fromService
            ? 'the service does not answer /api/whoami (404): is the service URL pointing at the Backup SLA service?'
            : 'Grafana found no proxy route (404): is the app enabled and its plugin.json up to date?';
          break;
        default:
          message = describeError(e).text;
      }
      results.push({ label: check.label, ok: false, message });
      if (e.kind === 'unreachable') {
        // The other two would say the same.
        break;
      }
    }
  }
  return results;
}
