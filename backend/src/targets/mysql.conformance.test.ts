/**
 * The driver conformance suite for kind mysql, on the real MariaDB: a utf8mb4 database on a latin1
 * server, with non-ASCII rows and a view, a procedure, a function, a trigger and an event; run as
 * the least-privilege account of docs/mysql-privileges.md.
 */
import { conformance } from './testing/conformance';
import {
  createRichDatabase,
  databasesLike,
  grantDocumented,
  leastPrivilegeTarget,
  query,
  readDatabase,
  scratchOf,
} from '../test/mysql';
import { services } from '../test/services';
import { readFileSync } from 'node:fs';

const DB = 'conf_mysql';

conformance<Record<string, unknown> | null>({
  kind: 'mysql',
  create: async () => {
    await createRichDatabase(DB, 3000);
    await grantDocumented(DB);
  },
  destroy: async () => {
    for (const db of await databasesLike(DB)) {
      await query(`DROP DATABASE IF EXISTS \`${db}\``);
    }
  },
  // The least-privilege account of docs/mysql-privileges.md, nothing more.
  target: () => leastPrivilegeTarget(DB),
  unreachable: (t) => ({ ...t, connection: { ...(t.connection as object), port: 1 } }),
  secrets: [readFileSync(services().mysql.leastPasswordFile, 'utf8').trim()],
  read: (place) => readDatabase(place ?? DB),
  change: async () => {
    await query(`INSERT INTO ${DB}.item (name) VALUES ('changé après la sauvegarde')`);
    await query(`CREATE TABLE IF NOT EXISTS ${DB}.extra (id INT PRIMARY KEY)`);
    await query(`INSERT INTO ${DB}.extra SELECT COALESCE(MAX(id), 0) + 1 FROM ${DB}.extra`);
    await query(
      `CREATE OR REPLACE PROCEDURE ${DB}.mark_done(IN i INT) BEGIN UPDATE item SET done = 2 WHERE id = i; END`
    );
  },
  elsewhere: { to: `${DB}_restored` },
  // The recorded collation differs from the snapshot's: definitions are compared, not only rows.
  tamper: (m) => ({ ...m, schema: { ...(m.schema as object), collation: 'utf8mb4_general_ci' } }),
  aside: {
    kind: 'moved',
    // Events kept aside are disabled: the old copy must not act.
    keptAs: (state) => {
      const out = { ...state };
      for (const [k, v] of Object.entries(out)) {
        if (k.startsWith('event ')) {
          const [create, ...rest] = v as string[];
          out[k] = [create.replace(/ PRESERVE ENABLE /, ' PRESERVE DISABLE '), ...rest];
        }
      }
      return out;
    },
  },
  scratchLeft: () => scratchOf('live', DB),
});
