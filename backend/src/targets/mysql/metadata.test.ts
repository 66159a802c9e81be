import { mysqlRecord, readMysqlMetadata } from './metadata';
import { snapshotPosition } from './pitr';
import { MetadataError } from '../kit/metadata';
import { mysqlDriver } from '../mysql';

/** As today's backup writes it (mysql.ts backup): with definitions, writes during the dump, a log position. */
const today = mysqlRecord({
  database: 'agama',
  charset: 'utf8mb4',
  collation: 'utf8mb4_general_ci',
  tables: { item: { rows: 500, checksum: 123 }, tag: { rows: 2, checksum: null } },
  schema: {
    charset: 'utf8mb4',
    collation: 'utf8mb4_general_ci',
    objects: { 'table item': 'aa', 'table tag': 'bb', 'event purge': 'cc' },
    events: { purge: 'ENABLE' },
  },
  changedDuringBackup: true,
  tablesAfter: { item: { rows: 501, checksum: 124 }, tag: { rows: 2, checksum: null } },
  binlog: { file: 'mysql-bin.000007', position: 1234, gtid: '0-1-42', at: 1764500000000 },
});

/** As the first backups wrote it: no definitions, no character set, no log position. */
const older = { database: 'agama', tables: { item: { rows: 500, checksum: 123 } }, changedDuringBackup: false };

describe('mysql metadata', () => {
  it("today's record parses as written", () => {
    expect(readMysqlMetadata(today)).toEqual(today);
    expect(snapshotPosition(today)).toEqual({
      file: 'mysql-bin.000007',
      position: 1234,
      gtid: '0-1-42',
      at: 1764500000000,
    });
    expect(mysqlDriver.contents(today)).toEqual({
      summary: 'database agama (utf8mb4, utf8mb4_general_ci): 2 tables, 502 rows, 1 event',
      items: [
        { name: 'item', count: 500, unit: 'rows' },
        { name: 'tag', count: 2, unit: 'rows' },
      ],
    });
  });

  it('an older record (no definitions, no log position) still parses, as before', () => {
    const m = readMysqlMetadata(older)!;
    expect(m.tables.item).toEqual({ rows: 500, checksum: 123 });
    expect(m.schema).toBeUndefined();
    expect(snapshotPosition(older)).toBeNull();
    // A position recorded before gtid was: no gtid.
    expect(snapshotPosition({ ...older, binlog: { file: 'b.000001', position: 4, at: 1 } })).toEqual({
      file: 'b.000001',
      position: 4,
      at: 1,
      gtid: null,
    });
    expect(mysqlDriver.contents(older)!.summary).toBe('database agama: 1 table, 500 rows');
  });

  it('no metadata (catalog rebuilt) is null', () => {
    expect(readMysqlMetadata(null)).toBeNull();
  });

  it('a malformed record is one clear message naming the field', () => {
    const bad = { ...older, tables: { item: { rows: 'five hundred', checksum: 1 } } };
    expect(() => readMysqlMetadata(bad)).toThrow(MetadataError);
    expect(() => readMysqlMetadata(bad)).toThrow(
      'the metadata recorded for this mysql snapshot is malformed (tables.item.rows: expected number, received string): it cannot be compared with the snapshot'
    );
    expect(() => readMysqlMetadata({ ...older, schema: 'utf8mb4' })).toThrow(
      '(schema: expected object, received string)'
    );
    expect(() => readMysqlMetadata({ database: 'agama', changedDuringBackup: false })).toThrow('(tables is missing)');
    expect(() => mysqlDriver.contents({ ...older, tables: null })).toThrow(MetadataError);
  });

  it('a malformed log position is no position for the engine (window, retention), not an error', () => {
    expect(snapshotPosition({ ...older, binlog: { file: 'b.000001', position: '4', at: 1 } })).toBeNull();
    expect(() => readMysqlMetadata({ ...older, binlog: { file: 'b.000001', position: '4', at: 1 } })).toThrow(
      '(binlog.position: expected number, received string)'
    );
  });
});
