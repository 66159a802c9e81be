/**
 * The service answers the contract the app is built against (packages/contract/index.d.ts, the
 * one source both import): its JSON schemas are derived from that file (scripts/contract-schema.js
 * → contract.schema.json → schemas.ts), so they cannot drift from it as long as the derived file
 * is regenerated; this test fails when it is not.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { routeTable } from './server';
import * as S from './schemas';

const BACKEND = path.resolve(__dirname, '../..');
const COMMITTED = path.join(BACKEND, 'src/api/contract.schema.json');

/** The schema without its descriptions (they are documentation, not shape). */
function shape(schema: unknown): unknown {
  if (Array.isArray(schema)) {
    return schema.map(shape);
  }
  if (!schema || typeof schema !== 'object') {
    return schema;
  }
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => k !== 'description')
      .map(([k, v]) => [k, shape(v)])
  );
}

const field = (schema: S.JsonSchema, name: string) => shape((schema.properties as Record<string, unknown>)[name]);

describe('the HTTP contract', () => {
  it('contract.schema.json is what packages/contract/index.d.ts gives (else: npm run contract:schemas)', () => {
    const generated = execFileSync(process.execPath, [path.join(BACKEND, 'scripts/contract-schema.js')], {
      encoding: 'utf8',
    });
    const committed = readFileSync(COMMITTED, 'utf8');
    if (generated !== committed) {
      throw new Error(
        'backend/src/api/contract.schema.json is stale: packages/contract/index.d.ts changed since it was ' +
          'generated. Run `npm run contract:schemas` and commit the result.'
      );
    }
  });

  it('every answer and request body of the route table is a type of the contract', () => {
    const table = routeTable({ api: { metricsAuth: true } as never, metrics: null as never });
    const notContract: string[] = [];
    for (const r of table) {
      const schemas = { ...r.schema.response, ...(r.schema.body ? { body: r.schema.body } : {}) };
      for (const [what, schema] of Object.entries(schemas)) {
        // Only what no contract type describes is written in schemas.ts: `{}` bodies, the test-connection body.
        if (!S.contractName(schema) && schema !== S.emptyBodySchema && schema !== S.anyBodySchema) {
          notContract.push(`${r.method} ${r.url} ${what}`);
        }
      }
    }
    // The service's own documents are not contract shapes.
    expect(notContract).toEqual(['GET /api/openapi.json 200', 'GET /metrics 200']);
  });

  it('derived schemas stand alone (no $ref), as fastify compiles each route on its own', () => {
    for (const schema of [S.statusResponseSchema, S.getRunsSchema, S.restoreBodySchema, S.doctorReportSchema]) {
      expect(JSON.stringify(schema)).not.toContain('$ref');
    }
  });

  it('times, whole numbers and nullable primitives keep the shapes fast-json-stringify writes as before', () => {
    // A nullable primitive is a type list, not anyOf (which would validate every value before writing it).
    expect(field(S.runSchema, 'finishedAt')).toEqual({ type: ['string', 'null'], format: 'date-time' });
    expect(field(S.runSchema, 'startedAt')).toEqual({ type: 'string', format: 'date-time' });
    expect(field(S.auditEntrySchema, 'role')).toEqual({
      type: ['string', 'null'],
      enum: ['viewer', 'operator', 'admin', null],
    });
    expect(field(S.auditEntrySchema, 'runId')).toEqual({ type: ['integer', 'null'] });
    expect(field(S.runSchema, 'id')).toEqual({ type: 'integer' });
    // Sizes and durations stay numbers (an integer schema would round them).
    expect(field(S.runSchema, 'durationSeconds')).toEqual({ type: ['number', 'null'] });
    // A nullable object stays anyOf: the object or null.
    expect((field(S.targetStatusSchema, 'lastRun') as { anyOf: unknown[] }).anyOf[1]).toEqual({ type: 'null' });
    // Declaration order, the order in which fast-json-stringify writes an answer's fields.
    expect(Object.keys(S.runSchema.properties as object).slice(0, 5)).toEqual([
      'id',
      'instance',
      'target',
      'operation',
      'status',
    ]);
  });

  it('request fields carry the checks the contract annotates, and safetyBackup must be a JSON boolean', () => {
    expect(field(S.restoreBodySchema, 'snapshot')).toEqual({ type: 'string', pattern: '^(latest|[0-9a-f]{4,64})$' });
    expect(field(S.restoreBodySchema, 'target')).toEqual({ type: 'string', minLength: 1, maxLength: 129 });
    expect(field(S.restoreBodySchema, 'at')).toEqual({ type: 'string', format: 'date-time' });
    expect(field(S.removeAsideBodySchema, 'name')).toMatchObject({ minLength: 1, maxLength: 4096 });
    // No `type`: fastify would coerce "false", 0 or null into a boolean.
    expect(field(S.restoreBodySchema, 'safetyBackup')).toEqual({ enum: [true, false] });
  });
});
