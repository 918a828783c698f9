/** Request and response shapes of the operator endpoints (DESIGN.md §7). */
import * as v from 'valibot';
import { ActorState, AuditLine, EventLine } from '../backup/actor-format';
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
  /** User actors whose logs the run covers (their rows in its `user_exports`); null while running. */
  users: v.nullable(v.number()),
  /** Events of those logs, as exported by the users' actors up to the run's cut. */
  events: v.nullable(v.number()),
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
export const UserParams = v.strictObject({ id: Id });

/** A user's storage, as the operator sees it (GET /v1/admin/users/{id}/storage). */
export const UserStorageOut = v.object({
  user_id: v.string(),
  /** Events stored in the log, expired ones not yet purged included. */
  events: v.number(),
  /** What those events count against the quota. */
  bytes: v.number(),
  /** The highest seq compaction dropped (0: none). */
  horizon: v.number(),
  head: v.number(),
  /** The actor's whole SQLite database (sessions, counters, log and indexes). */
  database_bytes: v.number(),
  quota: v.object({ max_events: v.number(), max_bytes: v.number() }),
  /** The actor's own backup in R2: how far its current chain reaches, its events and gzipped bytes. */
  exported: v.object({ seq: v.number(), events: v.number(), bytes: v.number() }),
});

/** Events a restore loads in one request (POST /v1/admin/users/{id}/log). */
export const LOAD_BATCH_MAX = 5_000;
export const LOAD_BODY_BYTES = 8 * 1024 * 1024;

export const LogLoad = v.strictObject({
  events: v.pipe(v.array(EventLine), v.maxLength(LOAD_BATCH_MAX, `must hold at most ${LOAD_BATCH_MAX} events`)),
  /** The first batch of a user's restore: refused when the log holds events, unless `replace`. */
  first: v.boolean(),
  replace: v.optional(v.boolean(), false),
});

export const LogComplete = v.strictObject({
  /** The backup's chain of this log: the actor's next export starts above it. */
  chain: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  horizon: ActorState.entries.horizon,
  last_seq: ActorState.entries.last_seq,
  key_versions: ActorState.entries.key_versions,
});

/** A batch of a backup's audit trail (POST /v1/admin/users/{id}/audit), under the same body limit. */
export const AuditLoad = v.strictObject({
  entries: v.pipe(v.array(AuditLine), v.maxLength(LOAD_BATCH_MAX, `must hold at most ${LOAD_BATCH_MAX} entries`)),
  /** The first batch of a user's restore: refused when the trail holds entries, unless `replace`. */
  first: v.boolean(),
  replace: v.optional(v.boolean(), false),
});

export const AuditLoaded = v.object({ entries: v.number() });

export const LogLoaded = v.object({ events: v.number() });
export const LogCompleted = v.object({ events: v.number(), head: v.number() });

/** How far back a user's actor can be restored (Durable Objects keep 30 days). */
export const PITR_WINDOW_MS = 30 * 86_400_000;

export const RestorePoint = v.pipe(
  v.strictObject({
    /** A time in the last 30 days. */
    at: v.optional(Timestamp),
    /** A bookmark an earlier restore answered (`undo_bookmark`), to undo it. */
    bookmark: v.optional(v.pipe(v.string(), v.regex(/^[0-9a-f-]{1,128}$/, 'is not a bookmark'))),
  }),
  v.check((input) => (input.at === undefined) !== (input.bookmark === undefined), 'needs either at or bookmark'),
);

export const RestorePointOut = v.object({
  user_id: v.string(),
  bookmark: v.string(),
  /** Restores the state from just before this restore. */
  undo_bookmark: v.string(),
  sessions_revoked: v.number(),
});
