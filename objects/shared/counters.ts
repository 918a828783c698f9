/** Fixed-window counters kept in an actor's SQLite storage: exact, since an actor runs one call at a time. */
import { type Counter, countHit, type Decision, refundHit, type Window } from '../../core/rate-limit';
import { one } from './query';

function readCounter(sql: SqlStorage, bucket: string): Counter | null {
  const row = one<{ window_start: number; count: number }>(
    sql,
    'SELECT window_start, count FROM counters WHERE bucket = ?',
    bucket,
  );
  return row ? { windowStart: row.window_start, count: row.count } : null;
}

export function hitCounter(sql: SqlStorage, bucket: string, window: Window, now: number): Decision {
  const { counter, decision } = countHit(readCounter(sql, bucket), window, now);
  sql.exec(
    'INSERT INTO counters (bucket, window_start, count) VALUES (?, ?, ?) ON CONFLICT(bucket) DO UPDATE SET window_start = excluded.window_start, count = excluded.count',
    bucket,
    counter.windowStart,
    counter.count,
  );
  return decision;
}

/** Takes back one hit of `bucket`'s current window (see `refundHit`). */
export function refundCounter(sql: SqlStorage, bucket: string, window: Window, now: number): Decision {
  const { counter, decision } = refundHit(readCounter(sql, bucket), window, now);
  if (counter) sql.exec('UPDATE counters SET count = ? WHERE bucket = ?', counter.count, bucket);
  return decision;
}
