/**
 * The backup format: what `manifest.json` says about one export run. Shared by the exporter
 * (MaintenanceObject) and the restore script, so both read and write the same shape. The files
 * of core/backup import each other with `.ts` extensions because scripts/restore.ts runs them
 * under Node's type stripping, which resolves no extensionless paths.
 */
import * as v from 'valibot';

export const BACKUP_FORMAT = 'durable-backend.backup/1';
export const BACKUP_ROOT = 'backups/';
export const MANIFEST_NAME = 'manifest.json';

/** An SQL identifier this format accepts: anything else is refused before it reaches SQL. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const Identifier = v.pipe(v.string(), v.regex(IDENTIFIER, 'is not a plain SQL identifier'));
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
const Sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256'));

/** A foreign key: `from` columns of this table point at `to` columns of `table`. */
export const Reference = v.object({
  table: Identifier,
  from: v.pipe(v.array(Identifier), v.minLength(1)),
  to: v.pipe(v.array(Identifier), v.minLength(1)),
});
export type Reference = v.InferOutput<typeof Reference>;

export const ManifestTable = v.object({
  name: Identifier,
  /** The R2 key of the gzipped NDJSON object: one JSON object per row. */
  key: v.string(),
  rows: Count,
  /** SHA-256 of the stored (gzipped) object, hex. */
  sha256: Sha256,
  bytes: Count,
  columns: v.pipe(v.array(Identifier), v.minLength(1)),
  references: v.array(Reference),
});
export type ManifestTable = v.InferOutput<typeof ManifestTable>;

/**
 * What a run covers of the user actors' own backups (core/backup/actor-format.ts): the users
 * listed in its copy of `user_exports`, and the events those rows say were exported.
 */
export const ActorCoverage = v.object({ table: v.literal('user_exports'), users: Count, events: Count });
export type ActorCoverage = v.InferOutput<typeof ActorCoverage>;

export const Manifest = v.object({
  format: v.literal(BACKUP_FORMAT),
  id: v.string(),
  prefix: v.string(),
  started_at: v.pipe(v.string(), v.isoTimestamp()),
  finished_at: v.pipe(v.string(), v.isoTimestamp()),
  /** The D1 migrations applied when the export ran, oldest first; the last is the schema level. */
  schema: v.object({ migration: v.nullable(v.string()), migrations: v.array(v.string()) }),
  /** In restore order: every table comes after the tables it references. */
  tables: v.array(ManifestTable),
  /** Absent from runs made before actors were backed up. */
  actors: v.optional(ActorCoverage),
});
export type Manifest = v.InferOutput<typeof Manifest>;

/** `backups/2026-10-20T03-17-00.123Z/`: sortable, and safe as a directory name anywhere. */
export const runPrefix = (startedAt: number): string =>
  `${BACKUP_ROOT}${new Date(startedAt).toISOString().replaceAll(':', '-')}/`;

export const objectKey = (prefix: string, table: string): string => `${prefix}${table}.ndjson.gz`;

/** Accepts `backups/<stamp>/`, `backups/<stamp>` or `<stamp>`; null for anything else. */
export function normalizePrefix(input: string): string | null {
  const stamp = input.replace(/^backups\//, '').replace(/\/$/, '');
  return /^[0-9A-Za-z.-]{1,64}$/.test(stamp) && !stamp.startsWith('.') ? `${BACKUP_ROOT}${stamp}/` : null;
}
