/**
 * The user actor's own backup (issue 11): when its log changed, its alarm writes the events
 * after the last export as one immutable gzipped NDJSON segment to R2, a small state object
 * beside it, and a manifest listing both (core/backup/actor-format.ts), then records how far it
 * got in D1 (`user_exports`), which the nightly D1 export copies: that copy is the cut of this
 * user's log a backup covers. Every few segments a `base` (every stored event) starts a new
 * chain; a chain superseded before the oldest retained backup started is deleted. The audit
 * trail is written and reported in the same run (user/audit-export.ts), even when the log did
 * not change: the first export writes an empty base so that the trail has a chain to be reported with.
 *
 * Idempotent and resumable: keys derive from what a segment holds, a segment is recorded only
 * once R2 has it, and an unreported export is reported on the next run.
 */
import {
  ACTOR_FORMAT,
  type ActorState,
  type Segment,
  segmentKey,
  stateKey,
  type UserManifest,
  userManifestKey,
  userRoot,
} from '../../core/backup/actor-format';
import { gzip } from '../../core/backup/ndjson';
import { oldestRetainedBackup, reportExport } from '../../core/db/user-exports';
import { hex } from '../../core/encoding';
import { all, one } from '../shared/query';
import { auditExports, auditPending, auditReported, latestAudit, supersededAudit, writeAudit } from './audit-export';
import type { EventRow } from './events';
import { LogTotals } from './log-state';
import { uploadRows } from './upload-rows';

/** A new base once a chain has this many deltas, or holds twice the live events (and 1,000) more. */
const MAX_DELTAS = 32;
const PAGE = 1_000;
const DAY = 86_400_000;

interface SegmentRow extends Record<string, SqlStorageValue> {
  key: string;
  chain: number;
  kind: 'base' | 'delta';
  first_seq: number;
  last_seq: number;
  events: number;
  bytes: number;
  sha256: string;
  state_key: string;
  state_sha256: string;
  written_at: number;
  reported: number;
  superseded_at: number | null;
}

export interface ExportContext {
  sql: SqlStorage;
  bucket: R2Bucket;
  db: D1Database;
  userId: string;
  /** The cached profile, written in the state beside each segment. */
  profile: () => ActorState['profile'];
  /** The audit trail's revision: it is exported again when this moved past the last export. */
  auditRevision: () => number;
}

const toSegment = (row: SegmentRow): Segment => ({
  key: row.key,
  chain: row.chain,
  kind: row.kind,
  after: row.first_seq - 1,
  last_seq: row.last_seq,
  events: row.events,
  bytes: row.bytes,
  sha256: row.sha256,
  state_key: row.state_key,
  state_sha256: row.state_sha256,
  written_at: row.written_at,
});

/** The newest chain, unless a restore replaced the log since (then the next export starts a base). */
const currentChain = (sql: SqlStorage): SegmentRow[] =>
  all<SegmentRow>(
    sql,
    'SELECT * FROM log_segments WHERE chain = (SELECT MAX(chain) FROM log_segments) AND superseded_at IS NULL ORDER BY last_seq',
  );

/** Runs one export; answers when the next run is due (a superseded chain still waits for deletion), or null. */
export async function exportLog(ctx: ExportContext, now: number): Promise<number | null> {
  const chain = currentChain(ctx.sql);
  const head = new LogTotals(ctx.sql).read().head;
  const last = chain.at(-1);
  const revision = ctx.auditRevision();
  const audit = auditPending(ctx.sql, revision);
  if (head > (last?.last_seq ?? 0) || (!last && audit)) await writeSegment(ctx, chain, head, now);
  const latest = currentChain(ctx.sql).at(-1);
  if (latest && audit) await writeAudit(ctx.sql, ctx.bucket, ctx.userId, latest.chain, revision, now);
  if (latest && (!latest.reported || !latestAudit(ctx.sql)?.reported)) {
    // Listed before D1 points at them: a run cut short between the two lists them next time.
    await writeManifest(ctx, now);
    await report(ctx, now);
  }
  return collect(ctx, now);
}

async function writeSegment(ctx: ExportContext, chain: SegmentRow[], head: number, now: number): Promise<void> {
  const totals = new LogTotals(ctx.sql).read();
  const inChain = chain.reduce((sum, s) => sum + s.events, 0);
  const base = chain.length === 0 || chain.length > MAX_DELTAS || inChain > 2 * totals.events + 1000;
  const number = base
    ? // Above the chains of a restored log too: a restore into the same bucket must not overwrite them.
      one<{ n: number }>(
        ctx.sql,
        'SELECT MAX(COALESCE((SELECT MAX(chain) FROM log_segments), 0), (SELECT chain_floor FROM log_state)) AS n',
      )!.n + 1
    : chain[0]!.chain;
  const after = base ? 0 : chain.at(-1)!.last_seq;
  const key = segmentKey(ctx.userId, number, after, head);
  const { sha256, bytes, events } = await uploadEvents(ctx, key, after, head);
  const state = stateOf(ctx, totals.horizon, head);
  const stateBytes = await gzip(new TextEncoder().encode(JSON.stringify(state)));
  const stateSha = hex(await crypto.subtle.digest('SHA-256', stateBytes));
  const stateObject = stateKey(ctx.userId, number, head);
  await ctx.bucket.put(stateObject, stateBytes, {
    sha256: stateSha,
    httpMetadata: { contentType: 'application/gzip' },
  });
  ctx.sql.exec(
    `INSERT OR REPLACE INTO log_segments (key, chain, kind, first_seq, last_seq, events, bytes, sha256, state_key, state_sha256, written_at, reported)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
    key,
    number,
    base ? 'base' : 'delta',
    after + 1,
    head,
    events,
    bytes,
    sha256,
    stateObject,
    stateSha,
    now,
  );
}

/** Streams the stored events in (after, last] through gzip into R2, a page at a time. */
async function uploadEvents(ctx: ExportContext, key: string, after: number, last: number) {
  let cursor = after;
  const { lines, ...uploaded } = await uploadRows(ctx.bucket, key, () => {
    const rows = all<EventRow>(
      ctx.sql,
      'SELECT seq, id, device_id, stream, key, version, payload, at, expires_at FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
      cursor,
      last,
      PAGE,
    );
    cursor = rows.at(-1)?.seq ?? cursor;
    return rows;
  });
  return { ...uploaded, events: lines };
}

function stateOf(ctx: ExportContext, horizon: number, head: number): ActorState {
  const keyVersions = all<{ stream: string; key: string; version: number; seq: number }>(
    ctx.sql,
    'SELECT k.stream, k.key, k.version, k.seq FROM event_keys k WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.seq = k.seq) AND k.seq <= ?',
    head,
  );
  // Session metadata only: never a refresh key or a token hash.
  const sessions = all<ActorState['sessions'][number] & Record<string, SqlStorageValue>>(
    ctx.sql,
    'SELECT id, created_at, last_used_at, expires_at, revoked_at, amr FROM sessions ORDER BY created_at',
  );
  return {
    format: ACTOR_FORMAT,
    user_id: ctx.userId,
    last_seq: head,
    horizon,
    key_versions: keyVersions,
    profile: ctx.profile(),
    sessions,
  };
}

async function writeManifest(ctx: ExportContext, now: number): Promise<void> {
  const rows = all<SegmentRow>(ctx.sql, 'SELECT * FROM log_segments ORDER BY chain, last_seq');
  const manifest: UserManifest = {
    format: ACTOR_FORMAT,
    user_id: ctx.userId,
    updated_at: now,
    segments: rows.map(toSegment),
    audit: auditExports(ctx.sql),
  };
  await ctx.bucket.put(userManifestKey(ctx.userId), JSON.stringify(manifest, null, 2), {
    httpMetadata: { contentType: 'application/json' },
  });
}

/** Records the latest export in D1, then marks older chains superseded from now. */
async function report(ctx: ExportContext, now: number): Promise<void> {
  const chain = currentChain(ctx.sql);
  const latest = chain.at(-1)!;
  const audit = latestAudit(ctx.sql);
  await reportExport(ctx.db, {
    userId: ctx.userId,
    chain: latest.chain,
    lastSeq: latest.last_seq,
    events: chain.reduce((sum, s) => sum + s.events, 0),
    segments: chain.length,
    updatedAt: now,
    auditKey: audit?.key ?? null,
    auditEntries: audit?.entries ?? null,
  });
  ctx.sql.exec('UPDATE log_segments SET reported = 1 WHERE key = ?', latest.key);
  if (audit) auditReported(ctx.sql, audit.key, now);
  ctx.sql.exec(
    'UPDATE log_segments SET superseded_at = ? WHERE chain < ? AND superseded_at IS NULL',
    now,
    latest.chain,
  );
}

/** Deletes the chains that no retained backup can need; answers when to look again. */
async function collect(ctx: ExportContext, now: number): Promise<number | null> {
  const superseded = all<SegmentRow>(ctx.sql, 'SELECT * FROM log_segments WHERE superseded_at IS NOT NULL');
  const audits = supersededAudit(ctx.sql);
  if (superseded.length === 0 && audits.length === 0) return null;
  const oldest = await oldestRetainedBackup(ctx.db);
  // A backup that started before a chain was superseded may have read this user's row pointing into it.
  const gone = (row: { superseded_at: number | null }) => oldest === null || row.superseded_at! < oldest;
  const doomed = superseded.filter(gone);
  const doomedAudits = audits.filter(gone);
  if (doomed.length > 0 || doomedAudits.length > 0) {
    // Objects first: a run cut short leaves rows whose objects are gone, which no backup needs.
    const keys = [...doomed.flatMap((row) => [row.key, row.state_key]), ...doomedAudits.map((row) => row.key)];
    for (let i = 0; i < keys.length; i += 1000) await ctx.bucket.delete(keys.slice(i, i + 1000));
    for (const row of doomed) ctx.sql.exec('DELETE FROM log_segments WHERE key = ?', row.key);
    for (const row of doomedAudits) ctx.sql.exec('DELETE FROM audit_exports WHERE key = ?', row.key);
    await writeManifest(ctx, now);
  }
  return doomed.length === superseded.length && doomedAudits.length === audits.length ? null : now + DAY;
}

/** How far the current chain reaches in R2: its last seq, events and gzipped bytes (zeros before any export). */
export function exportedSoFar(sql: SqlStorage): { seq: number; events: number; bytes: number } {
  const chain = currentChain(sql);
  return {
    seq: chain.at(-1)?.last_seq ?? 0,
    events: chain.reduce((sum, s) => sum + s.events, 0),
    bytes: chain.reduce((sum, s) => sum + s.bytes, 0),
  };
}

/** Deletes everything this user exported (account erasure). */
export async function deleteExports(bucket: R2Bucket, userId: string): Promise<void> {
  const prefix = userRoot(userId);
  for (;;) {
    const listing = await bucket.list({ prefix, limit: 1000 });
    if (listing.objects.length === 0) return;
    await bucket.delete(listing.objects.map((object) => object.key));
    if (!listing.truncated) return;
  }
}
