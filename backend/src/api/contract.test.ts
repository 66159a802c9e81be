/**
 * The service answers the contract the app is built against (packages/contract/index.d.ts, the
 * one source both import): every JSON schema names exactly the fields of its interface, with the
 * same optional fields and nullability.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import * as S from './schemas';

const APP_CONTRACT = path.resolve(__dirname, '../../../packages/contract/index.d.ts');

interface Field {
  optional: boolean;
  nullable: boolean;
}

function interfaces(file: string): Map<string, Map<string, Field>> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out = new Map<string, Map<string, Field>>();
  const members = (name: string, list: ts.NodeArray<ts.TypeElement>) => {
    const fields = new Map<string, Field>();
    for (const m of list) {
      if (ts.isPropertySignature(m) && m.name) {
        const text = m.type?.getText(source) ?? '';
        fields.set(m.name.getText(source).replace(/['"]/g, ''), {
          optional: !!m.questionToken,
          nullable: /\|\s*null\b/.test(text),
        });
      }
    }
    out.set(name, fields);
  };
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) {
      members(node.name.text, node.members);
    }
  });
  return out;
}

function schemaFields(schema: S.JsonSchema): Map<string, Field> {
  const props = schema.properties as Record<string, S.JsonSchema>;
  const required = schema.required as string[];
  const fields = new Map<string, Field>();
  for (const [name, p] of Object.entries(props)) {
    const nullable =
      (Array.isArray(p.type) && p.type.includes('null')) ||
      (Array.isArray(p.anyOf) && (p.anyOf as S.JsonSchema[]).some((x) => x.type === 'null'));
    fields.set(name, { optional: !required.includes(name), nullable });
  }
  return fields;
}

const PAIRS: Array<[string, S.JsonSchema]> = [
  ['SlaCheck', S.checkSchema],
  ['Retention', S.retentionSchema],
  ['TargetPolicy', S.policySchema],
  ['RestoreDestinations', S.destinationsSchema],
  ['RunPhase', S.runPhaseSchema],
  ['VerificationOutcome', S.verificationOutcomeSchema],
  ['PlannedChange', S.plannedChangeSchema],
  ['RestoreOutcome', S.restoreOutcomeSchema],
  ['Run', S.runSchema],
  ['TargetStatus', S.targetStatusSchema],
  ['PitrStatus', S.pitrStatusSchema],
  ['PitrRange', S.pitrRangeSchema],
  ['PitrGap', S.pitrGapSchema],
  ['CoveredService', S.coveredServiceSchema],
  ['InstanceState', S.instanceStateSchema],
  ['StatusResponse', S.statusResponseSchema],
  ['SnapshotContents', S.snapshotContentsSchema],
  ['SnapshotItem', S.snapshotItemSchema],
  ['Snapshot', S.snapshotSchema],
  ['AuditEntry', S.auditEntrySchema],
  ['Restore', S.restoreSchema],
  ['AsideItem', S.asideItemSchema],
  ['GetSnapshots', S.getSnapshotsSchema],
  ['GetRuns', S.getRunsSchema],
  ['GetAudit', S.getAuditSchema],
  ['GetRestores', S.getRestoresSchema],
  ['GetAside', S.getAsideSchema],
  ['RemoveAsideRequest', S.removeAsideBodySchema],
  ['Accepted', S.acceptedSchema],
  ['RestoreRequest', S.restoreBodySchema],
  ['WhoAmI', S.whoAmISchema],
  ['ApiError', S.apiErrorSchema],
  ['DoctorCheck', S.doctorCheckSchema],
  ['DoctorSection', S.doctorSectionSchema],
  ['DoctorReport', S.doctorReportSchema],
];

describe('the HTTP contract', () => {
  const contract = interfaces(APP_CONTRACT);

  it.each(PAIRS)('schema of %s has exactly the interface fields', (name, schema) => {
    const iface = contract.get(name);
    expect(iface).toBeDefined();
    expect(Object.fromEntries(schemaFields(schema))).toEqual(Object.fromEntries(iface!));
  });

  it('every interface of the contract is checked here (or is a request/alias without a schema)', () => {
    const checked = new Set(PAIRS.map(([n]) => n));
    expect([...contract.keys()].filter((n) => !checked.has(n))).toEqual([]);
  });

  it('the nested lastVerification object matches too', () => {
    const fields = schemaFields(S.verificationSummarySchema);
    expect([...fields.keys()]).toEqual(['at', 'success', 'outcome', 'durationSeconds', 'snapshotId']);
    expect(fields.get('durationSeconds')!.nullable).toBe(true);
  });
});
