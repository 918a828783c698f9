/**
 * The log's upkeep, run by the user actor's alarm: expired events are purged, and keyed events
 * superseded by a newer version of their key and older than the compaction age are dropped,
 * which raises the compaction horizon. Work is done in batches; each run answers when the next
 * is due (null: nothing will become removable until the log changes).
 */
import type { EventLogLimits } from '../../core/config';
import { one } from '../shared/query';
import type { LogQuota } from './events';
import { LogTotals } from './log-state';

/** EVENT_LOG_LIMITS as the log uses them: the quota, and the compaction age (null: never). */
export const logLimitsOf = (limits: EventLogLimits): { quota: LogQuota; compactAfterMs: number | null } => ({
  quota: { maxEvents: limits.max_events, maxBytes: limits.max_bytes },
  compactAfterMs: limits.compact_after_days === 0 ? null : limits.compact_after_days * 86_400_000,
});

/** Rows deleted per statement, so one alarm never holds the actor for long. */
export const UPKEEP_BATCH = 5_000;

export interface UpkeepOutcome {
  purged: number;
  compacted: number;
  horizon: number;
  /** When the next run is due (now when a batch was full), or null. */
  nextDue: number | null;
}

const EXPIRED = 'seq IN (SELECT seq FROM events WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)';
/** A keyed event with a newer version of its key. */
const SUPERSEDED =
  'key IS NOT NULL AND seq < (SELECT k.seq FROM event_keys k WHERE k.stream = events.stream AND k.key = events.key)';
const COMPACTABLE = `seq IN (SELECT seq FROM events WHERE ${SUPERSEDED} AND at < ? ORDER BY seq LIMIT ?)`;

export function runUpkeep(
  sql: SqlStorage,
  storage: DurableObjectStorage,
  now: number,
  compactAfterMs: number | null,
): UpkeepOutcome {
  const totals = new LogTotals(sql);
  const outcome = storage.transactionSync(() => {
    const purged = totals.remove(EXPIRED, now, UPKEEP_BATCH).events;
    let compacted = 0;
    if (compactAfterMs !== null) {
      const dropped = totals.remove(COMPACTABLE, now - compactAfterMs, UPKEEP_BATCH);
      compacted = dropped.events;
      totals.raiseHorizon(dropped.maxSeq);
    }
    return { purged, compacted, horizon: totals.read().horizon };
  });
  if (outcome.purged === UPKEEP_BATCH || outcome.compacted === UPKEEP_BATCH) return { ...outcome, nextDue: now };
  return { ...outcome, nextDue: nextDue(sql, compactAfterMs) };
}

/** The earliest time an event still stored becomes removable. */
function nextDue(sql: SqlStorage, compactAfterMs: number | null): number | null {
  const expiry = one<{ at: number | null }>(
    sql,
    'SELECT MIN(expires_at) AS at FROM events WHERE expires_at IS NOT NULL',
  )!.at;
  let compaction: number | null = null;
  if (compactAfterMs !== null) {
    const oldest = one<{ at: number | null }>(sql, `SELECT MIN(at) AS at FROM events WHERE ${SUPERSEDED}`)!.at;
    compaction = oldest === null ? null : oldest + compactAfterMs;
  }
  if (expiry === null) return compaction;
  return compaction === null ? expiry : Math.min(expiry, compaction);
}
