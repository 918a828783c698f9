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

const SealedCounts = v.object({
  total: v.number(),
  totp_secret: v.number(),
  oauth_access_token: v.number(),
  oauth_refresh_token: v.number(),
});

export const SweepOut = v.object({
  /** The kid of DATA_ENCRYPTION_KEYS[0], which seals every new value. */
  sealing_kid: v.string(),
  /** Values in D1 not sealed under `sealing_kid`, counted now: at zero, older keys can go. */
  remaining: SealedCounts,
  /** The sweep under way, else the last one; null before the first. */
  sweep: v.nullable(
    v.object({
      id: v.string(),
      status: v.picklist(['running', 'complete', 'failed']),
      trigger: v.picklist(['manual', 'cron']),
      kid: v.string(),
      started_at: Timestamp,
      finished_at: v.nullable(Timestamp),
      scanned: v.number(),
      resealed: v.number(),
      unreadable: v.number(),
    }),
  ),
});
export type SweepOut = v.InferOutput<typeof SweepOut>;
