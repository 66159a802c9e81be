/**
 * The example configuration shipped as `backup-sla.example.yaml`: the lab's SLA (docs/sla.md) as
 * configuration. Only what the schema cannot know is here — the lab's targets, their sources and
 * its repositories; config/document.ts writes every field's description, the kinds' SLA defaults,
 * and the fields left out with their examples. Where the lab sets a value other than the kind's
 * default (or one the kind has none of), it is a choice, and says why.
 */
import type { ExampleConfig } from './document';

export const LAB_EXAMPLE: ExampleConfig = {
  header: [
    "Backup SLA — the team's backup policy (docs/sla.md) as configuration.",
    'Generated from the schema by `backup-sla config example` (npm run config:example): every field',
    'says what it means; a field left out is shown commented with an example. Every SLA number below',
    "is its kind's default (leave it out to keep it, or change it); a value marked otherwise says why",
    'it differs. Paths are relative to this file. Secrets come only from files or environment',
    'variables (passwordFile / passwordEnv / tokenFile), never from this file.',
    '',
    '  backup-sla --config backup-sla.yaml check-config     shows the effective policy of every target',
    '  backup-sla config schema > backup-sla.schema.json     a JSON Schema for editors (README, Configuration)',
  ],
  top: { catalog: './data/catalog.db', workDir: './data/work' },
  repositories: {
    main: { value: { url: '/var/backups/backup-sla', passwordFile: './secrets/repo.pass' } },
    flash: { note: 'flash media', value: { url: '/media/flash/backup-sla', passwordFile: './secrets/repo.pass' } },
    admin: {
      note: "the administrators' machine, over sftp",
      value: {
        url: 'sftp:backup@admin.lab:/srv/backup-sla',
        passwordFile: './secrets/repo.pass',
        options: { 'sftp.command': 'ssh -i /etc/backup-sla/id_ed25519 backup@admin.lab -s sftp' },
      },
    },
  },
  targets: [
    {
      name: 'ansible',
      kind: 'ansible',
      note: 'It covers Nginx, uWSGI, Telegraf and DNS too (see covered).',
      settings: { source: { path: '/srv/ansible' } },
      verify: { playbooks: ['site.yml'], inventory: 'inventory/hosts.ini', checkMode: true },
      choices: {
        copies: {
          value: ['flash', 'admin'],
          why: 'the SLA keeps the Ansible code in three copies: the primary, flash media, the admin machine',
        },
      },
    },
    {
      name: 'agama',
      kind: 'files',
      note: 'The installed application: the single file agama.py, served by uWSGI.',
      settings: {
        source: {
          paths: ['/opt/agama'],
          // AGAMA's footer changed form between releases ("AGAMA v0.2 running on …", later
          // "AGAMA</a> v0.3"): one pattern for both.
          versionFrom: { file: '/opt/agama/agama.py', pattern: 'AGAMA(?:</a>)? (v[0-9.]+)' },
        },
        afterRestore: ['systemctl', 'restart', 'uwsgi'],
      },
      verify: {
        smoke: {
          wsgi: { file: 'agama.py', callable: 'app' },
          env: { AGAMA_DATABASE_URI: 'sqlite:///{tmp}/agama.db' },
          expectBody: 'AGAMA',
        },
      },
    },
    {
      name: 'mysql',
      kind: 'mysql',
      note: "AGAMA's database; the account has exactly the grants of docs/mysql-privileges.md.",
      settings: {
        connection: {
          host: '127.0.0.1',
          port: 3306,
          user: 'backup_sla',
          passwordFile: './secrets/mysql.pass',
          database: 'agama',
        },
      },
    },
    {
      name: 'prometheus',
      kind: 'prometheus',
      settings: {
        connection: { url: 'http://127.0.0.1:9090', dataDir: '/var/lib/prometheus/metrics2' },
        hooks: { stop: ['systemctl', 'stop', 'prometheus'], start: ['systemctl', 'start', 'prometheus'] },
      },
    },
    {
      name: 'influxdb',
      kind: 'influxdb',
      settings: { connection: { url: 'http://127.0.0.1:8086', rpcAddress: '127.0.0.1:8088' } },
    },
    {
      name: 'grafana',
      kind: 'grafana',
      settings: { connection: { url: 'http://127.0.0.1:3000', tokenFile: './secrets/grafana.token' } },
    },
  ],
  covered: [
    { name: 'nginx', coveredBy: 'ansible', note: 'configuration is built by Ansible; no manual changes' },
    { name: 'uwsgi', coveredBy: 'ansible', note: 'static configuration installed by Ansible' },
    {
      name: 'telegraf',
      coveredBy: 'ansible',
      note: 'installed and configured by Ansible; its data is in the InfluxDB backup',
    },
    { name: 'dns', coveredBy: 'ansible', note: 'zones and configuration are in the Ansible code' },
  ],
  api: {
    listen: '127.0.0.1:8470',
    tokens: { viewer: './secrets/viewer.token', operator: './secrets/operator.token', admin: './secrets/admin.token' },
  },
};
