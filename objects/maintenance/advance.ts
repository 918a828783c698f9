/**
 * The alarm's work: export the tables that are not done yet, then the manifest, then
 * retention. Alarms are at-least-once, so every step can run twice without harm: progress is
 * saved after each table, a finished run leaves no state behind (a late duplicate alarm finds
 * nothing to do), and a failure retries with backoff before the run is marked failed.
 */
import { type ActorCoverage, MANIFEST_NAME, objectKey } from '../../core/backup/manifest';
import type { Row } from '../../core/backup/ndjson';
import { restoreOrder } from '../../core/backup/order';
import { pruneAudit } from '../../core/db/audit';
import { completeRun, failRun, insertRun, recordProgress } from '../../core/db/backups';
import { appliedMigrations, discoverTables } from '../../core/db/table-discovery';
import { describeError, log } from '../../core/log';
import { recordMetric } from '../../core/metrics';
import type { ReportFailure } from '../shared/report';
import { exportTable } from './export-table';
import { applyRetention } from './retention';
import { buildManifest, exportedInOrder, RUN_KEY, type RunState, summaries } from './state';

/** An alarm works this long, then hands over to a fresh alarm (an alarm may run 15 minutes). */
const SLICE_MS = 2 * 60_000;
export const MAX_ATTEMPTS = 5;
const RETRY_BASE_MS = 30_000;
/** The D1 table whose exported rows are the cut of the user actors' logs (objects/user/log-export.ts). */
const USER_EXPORTS = 'user_exports';

export interface RunContext {
  storage: DurableObjectStorage;
  db: D1Database;
  bucket: R2Bucket;
  /** How many complete runs to keep (BACKUP_RETENTION). */
  retention: number;
  /** How many days of audit trail to keep (AUDIT_RETENTION_DAYS). */
  auditRetentionDays: number;
  metrics?: AnalyticsEngineDataset;
  reportFailure: ReportFailure;
}

export async function advanceRun(ctx: RunContext): Promise<void> {
  const state = await ctx.storage.get<RunState>(RUN_KEY);
  if (!state) return;
  try {
    if (await exportRemaining(ctx, state)) await finish(ctx, state);
  } catch (error) {
    state.attempts += 1;
    await ctx.storage.put(RUN_KEY, state);
    const fields = { backup_id: state.id, attempt: state.attempts, ...describeError(error) };
    if (state.attempts < MAX_ATTEMPTS) {
      log('warn', 'backup attempt failed; retrying', fields);
      await ctx.storage.setAlarm(Date.now() + RETRY_BASE_MS * 2 ** (state.attempts - 1));
      return;
    }
    ctx.reportFailure(error, 'backup', { run_id: state.id, attempt: String(state.attempts) });
    recordMetric(ctx.metrics, {
      kind: 'backup_run',
      result: 'failed',
      duration_ms: Date.now() - state.startedAt,
      rows: state.done.reduce((sum, t) => sum + t.rows, 0),
      bytes: state.done.reduce((sum, t) => sum + t.bytes, 0),
    });
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
    await failRun(ctx.db, state.id, Date.now(), reason.slice(0, 500));
    await ctx.storage.delete(RUN_KEY);
  }
}

/** Exports tables until none is left (true) or the slice is used up and a new alarm is set (false). */
async function exportRemaining(ctx: RunContext, state: RunState): Promise<boolean> {
  const sliceEnds = Date.now() + SLICE_MS;
  if (!state.tables) {
    // Normally already there; a start interrupted between storage and D1 leaves it to this step.
    await insertRun(ctx.db, { id: state.id, prefix: state.prefix, startedAt: state.startedAt });
    state.tables = restoreOrder(await discoverTables(ctx.db));
    state.migrations = await appliedMigrations(ctx.db);
    await ctx.storage.put(RUN_KEY, state);
  }
  const done = new Set(state.done.map((entry) => entry.name));
  // Children before parents: a child row exported has its parent still there to be exported next.
  for (const table of [...state.tables].reverse()) {
    if (done.has(table.name)) continue;
    if (Date.now() > sliceEnds) {
      await ctx.storage.setAlarm(Date.now());
      return false;
    }
    const tally: ActorCoverage = { table: USER_EXPORTS, users: 0, events: 0 };
    const count = (rows: Row[]) => {
      tally.users += rows.length;
      for (const row of rows) tally.events += typeof row.events === 'number' ? row.events : 0;
    };
    const entry = await exportTable(ctx.db, ctx.bucket, table, objectKey(state.prefix, table.name), undefined, count);
    if (table.name === USER_EXPORTS) state.actors = tally;
    state.done.push(entry);
    state.attempts = 0;
    await ctx.storage.put(RUN_KEY, state);
    await recordProgress(ctx.db, state.id, summaries(exportedInOrder(state)));
  }
  return true;
}

async function finish(ctx: RunContext, state: RunState): Promise<void> {
  if (state.finishedAt === null) {
    state.finishedAt = Date.now();
    await ctx.storage.put(RUN_KEY, state);
  }
  const manifest = buildManifest(state, state.finishedAt);
  await ctx.bucket.put(`${state.prefix}${MANIFEST_NAME}`, JSON.stringify(manifest, null, 2), {
    httpMetadata: { contentType: 'application/json' },
  });
  await completeRun(ctx.db, state.id, state.finishedAt, summaries(manifest.tables), state.actors ?? null);
  await ctx.storage.delete(RUN_KEY);
  const totals = {
    rows: manifest.tables.reduce((sum, t) => sum + t.rows, 0),
    bytes: manifest.tables.reduce((sum, t) => sum + t.bytes, 0),
    duration_ms: state.finishedAt - state.startedAt,
  };
  log('info', 'backup complete', {
    backup_id: state.id,
    prefix: state.prefix,
    tables: manifest.tables.length,
    ...totals,
  });
  recordMetric(ctx.metrics, { kind: 'backup_run', result: 'complete', ...totals });
  try {
    const deleted = await applyRetention(ctx.db, ctx.bucket, ctx.retention);
    if (deleted.length) log('info', 'backup retention deleted runs', { backup_ids: deleted });
  } catch (error) {
    // The run itself is complete; the next run's retention finishes the job.
    log('warn', 'backup retention failed', describeError(error));
  }
  try {
    const pruned = await pruneAudit(ctx.db, state.finishedAt - ctx.auditRetentionDays * 86_400_000);
    if (pruned) log('info', 'audit entries past their window deleted', { entries: pruned });
  } catch (error) {
    log('warn', 'audit pruning failed', describeError(error));
  }
}
