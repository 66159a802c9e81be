/** The HTTP API contract, from its one source (packages/contract): types only. */
export type * from '@labops/backup-sla-contract';
