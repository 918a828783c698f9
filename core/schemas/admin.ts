/** Request and response shapes of the operator endpoints (DESIGN.md §7). */
import * as v from 'valibot';
import { Id, queryInt, Timestamp } from './common';

export const BackupParams = v.strictObject({ id: Id });
export const BackupsQuery = v.strictObject({ limit: queryInt(1, 100, 20) });

export const BackupTable = v.object({
  name: v.string(),
  rows: v.number(),
  /** SHA-256 of the stored (gzipped) object, hex. */
  sha256: v.string(),
  key: v.string(),
});

export const BackupOut = v.object({
  id: v.string(),
  status: v.picklist(['running', 'complete', 'failed']),
  /** The R2 folder of the run: what `npm run restore -- <prefix>` takes. */
  prefix: v.string(),
  started_at: Timestamp,
  finished_at: v.nullable(Timestamp),
  tables: v.array(BackupTable),
});
export type BackupOut = v.InferOutput<typeof BackupOut>;

export const BackupsOut = v.object({ backups: v.array(BackupOut) });
export const BackupStarted = v.object({ id: v.string() });
