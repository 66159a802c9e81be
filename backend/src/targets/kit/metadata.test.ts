import { z } from 'zod';
import { MetadataError, metadataForRestore, parseMetadata } from './metadata';

const schema = z.looseObject({
  tables: z.record(z.string(), z.object({ rows: z.number() })),
  note: z.string().optional(),
});

describe('parseMetadata', () => {
  it('no metadata (a catalog rebuilt from the repository) is null, not an error', () => {
    expect(parseMetadata('demo', schema, null)).toBeNull();
  });

  it('a record of the schema comes back typed, fields it does not name kept', () => {
    const meta = { tables: { item: { rows: 3 } }, extra: true };
    expect(parseMetadata('demo', schema, meta)).toEqual(meta);
  });

  it('a malformed record is one MetadataError naming the kind and the field', () => {
    const read = () => parseMetadata('demo', schema, { tables: { item: { rows: '3' } } });
    expect(read).toThrow(MetadataError);
    expect(read).toThrow(
      'the metadata recorded for this demo snapshot is malformed (tables.item.rows: expected number, received string): it cannot be compared with the snapshot'
    );
    expect(() => parseMetadata('demo', schema, {})).toThrow('(tables is missing)');
    expect(() => parseMetadata('demo', schema, { tables: 1, note: 2 })).toThrow(
      '(tables: expected record, received number (and 1 more problem))'
    );
  });

  it('a restore says what it left untouched', () => {
    const read = () => parseMetadata('demo', schema, { tables: [] });
    expect(() => metadataForRestore(read, 'database agama is untouched')).toThrow(
      /^the metadata recorded for this demo snapshot is malformed \(tables: .*\): it cannot be compared with the snapshot; database agama is untouched$/
    );
    expect(metadataForRestore(() => parseMetadata('demo', schema, null), 'x')).toBeNull();
  });
});
