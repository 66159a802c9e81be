/**
 * What the HTTP API exposes once it listens on a real machine: timeouts for slow clients, TLS,
 * a warning beyond loopback, the forwarded Grafana user accepted only from Grafana's tokens, and
 * an audit log that names the token's role apart from the user (also when no user is forwarded).
 */
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import net from 'node:net';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import YAML from 'yaml';
import { loadConfig } from '../config/load';
import { startService } from '../serve';
import { makeLab } from '../test/harness';
import { apiLabOptions, auth, finished, json, makeServiceLab, request, ServiceLab } from '../test/service';

const CLIENT_TOKEN = 'nightly-client-token-4a5b6c7d8e9f0a1b2c3d';

function appTarget() {
  return { app: { kind: 'files', source: { paths: ['./app'] }, verify: { schedule: null } } };
}

function withApp(lab: { dir: string }) {
  mkdirSync(path.join(lab.dir, 'app'), { recursive: true });
  writeFileSync(path.join(lab.dir, 'app', 'index.html'), 'app\n');
}

describe('the API on a real machine', () => {
  let s: ServiceLab;
  beforeAll(async () => {
    s = await makeServiceLab(
      { targets: appTarget(), files: { 'nightly.token': CLIENT_TOKEN } },
      { clients: [{ name: 'nightly', role: 'operator', tokenFile: './nightly.token' }] }
    );
    withApp(s.lab);
  });
  afterAll(async () => {
    await s.service.close();
    s.lab.cleanup();
  });

  it('records the token role and the forwarded Grafana user apart; without a user, the role', async () => {
    const a = await request(s.service.address!, {
      method: 'POST',
      url: '/api/targets/app/backup',
      headers: auth('operator', { 'x-grafana-user': 'alice' }),
      payload: {},
    });
    await finished(s.lab, json(a).runId);
    const b = await request(s.service.address!, {
      method: 'POST',
      url: '/api/targets/app/verify',
      headers: auth('admin'),
      payload: {},
    });
    await finished(s.lab, json(b).runId);
    const audit = json(
      await request(s.service.address!, { method: 'GET', url: '/api/audit', headers: auth('viewer') })
    );
    expect(
      audit.entries.slice(0, 2).map((e: { action: string; actor: string; role: string }) => [e.action, e.actor, e.role])
    ).toEqual([
      ['verify', 'admin', 'admin'],
      ['backup', 'alice', 'operator'],
    ]);
  });

  it('another client is recorded under its name; X-Grafana-User from it is refused', async () => {
    const bearer = { authorization: `Bearer ${CLIENT_TOKEN}` };
    const forged = await request(s.service.address!, {
      method: 'POST',
      url: '/api/targets/app/backup',
      headers: { ...bearer, 'x-grafana-user': 'alice' },
      payload: {},
    });
    expect(forged.statusCode).toBe(400);
    expect(json(forged).message).toBe(
      "headers/x-grafana-user is accepted only with Grafana's tokens (api.tokens), not from a client"
    );
    const ok = await request(s.service.address!, {
      method: 'POST',
      url: '/api/targets/app/verify',
      headers: bearer,
      payload: {},
    });
    expect(ok.statusCode).toBe(202);
    const run = await finished(s.lab, json(ok).runId);
    expect(run.actor).toBe('nightly');
    const [entry] = s.lab.engine.catalog.auditEntries(1);
    expect([entry.actor, entry.role]).toEqual(['nightly', 'operator']);
    // Its role holds: an operator client cannot restore.
    const restore = await request(s.service.address!, {
      method: 'POST',
      url: '/api/restores',
      headers: bearer,
      payload: { target: 'app', snapshot: 'latest', safetyBackup: false, confirm: 'app' },
    });
    expect(restore.statusCode).toBe(403);
  });

  it('refuses a forwarded user with a bidirectional override or longer than 100 characters', async () => {
    for (const user of [Buffer.from('ad\u202emin', 'utf8').toString('latin1'), 'x'.repeat(101)]) {
      const r = await request(s.service.address!, {
        method: 'GET',
        url: '/api/status',
        headers: auth('viewer', { 'x-grafana-user': user }),
      });
      expect(r.statusCode).toBe(400);
      expect(json(r).message).toMatch(/x-grafana-user must be printable text of 1 to 100 characters/);
    }
  });
});

describe('HTTP timeouts', () => {
  it('a client that does not finish its headers is cut off', async () => {
    const lab = makeLab(apiLabOptions({ targets: appTarget() }));
    withApp(lab);
    const svc = await startService(lab.engine.config, {
      engine: lab.engine,
      scheduler: false,
      httpTimeouts: { headersMs: 1000, requestMs: 2000 },
    });
    try {
      const { port } = new URL(svc.address!);
      const started = Date.now();
      // Node answers 408 and closes; either is the end of the slow client.
      const closedAfter = await new Promise<number>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.write('GET /api/status HTTP/1.1\r\nHost: x\r\n'); // never the blank line
        });
        socket.on('error', () => undefined);
        socket.on('data', (d) => /^HTTP\/1\.1 408 /.test(String(d)) && resolve(Date.now() - started));
        socket.on('close', () => resolve(Date.now() - started));
        setTimeout(() => reject(new Error('the slow client was not cut off within 10 s')), 10_000).unref();
      });
      expect(closedAfter).toBeGreaterThanOrEqual(900);
      expect(closedAfter).toBeLessThan(5000);
    } finally {
      await svc.close();
      lab.cleanup();
    }
  });
});

describe('listening', () => {
  function capture() {
    const lines: Array<Record<string, any>> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    return { lines, log };
  }

  it('warns when it listens beyond loopback without TLS, and not on loopback', async () => {
    for (const [listen, warned] of [
      ['0.0.0.0:0', true],
      ['127.0.0.1:0', false],
    ] as const) {
      const lab = makeLab(apiLabOptions({ targets: appTarget() }, { listen }));
      const { lines, log } = capture();
      const svc = await startService(lab.engine.config, { engine: lab.engine, scheduler: false, log });
      await svc.close();
      lab.cleanup();
      const warning = lines.find((l) => /beyond loopback/.test(l.msg));
      expect({ listen, warned: !!warning }).toEqual({ listen, warned });
      if (warning) {
        expect(warning.level).toBe(40);
        expect(warning.msg).toMatch(/without TLS: tokens and answers cross the network in clear text/);
      }
    }
  });

  it('serves HTTPS with api.tls (the key must be private like any secret)', async () => {
    const lab = makeLab(apiLabOptions({ targets: appTarget() }));
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1'].concat([
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          'tls.key',
          '-out',
          'tls.crt',
        ]),
        { cwd: lab.dir, stdio: 'ignore' }
      );
      const config = YAML.parse(readFileSync(lab.configFile, 'utf8'));
      config.api.tls = { cert: './tls.crt', key: './tls.key' };
      writeFileSync(lab.configFile, YAML.stringify(config));
      chmodSync(path.join(lab.dir, 'tls.key'), 0o644);
      expect(() => loadConfig(lab.configFile)).toThrow(/api\.tls\.key: .*tls\.key is readable by others/);
      chmodSync(path.join(lab.dir, 'tls.key'), 0o600);
      const svc = await startService(loadConfig(lab.configFile), { engine: lab.engine, scheduler: false });
      try {
        expect(svc.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
        const ca = readFileSync(path.join(lab.dir, 'tls.crt'));
        const body = await new Promise<string>((resolve, reject) => {
          https
            .get(`${svc.address}/api/whoami`, { ca, headers: auth('viewer') }, (res) => {
              let text = '';
              res.on('data', (c) => (text += c));
              res.on('end', () => resolve(text));
            })
            .on('error', reject);
        });
        expect(JSON.parse(body)).toEqual({ role: 'viewer' });
      } finally {
        await svc.close();
      }
    } finally {
      lab.cleanup();
    }
  });
});
