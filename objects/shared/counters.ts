/** Fixed-window counters kept in an actor's SQLite storage: exact, since an actor runs one call at a time. */
import { countHit, type Decision, type Window } from '../../core/rate-limit';

export const COUNTERS_DDL =
  'CREATE TABLE IF NOT EXISTS counters (bucket TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL)';

export function hitCounter(sql: SqlStorage, bucket: string, window: Window, now: number): Decision {
  const row = sql
    .exec<{ window_start: number; count: number }>('SELECT window_start, count FROM counters WHERE bucket = ?', bucket)
    .toArray()[0];
  const { counter, decision } = countHit(row ? { windowStart: row.window_start, count: row.count } : null, window, now);
  sql.exec(
    'INSERT INTO counters (bucket, window_start, count) VALUES (?, ?, ?) ON CONFLICT(bucket) DO UPDATE SET window_start = excluded.window_start, count = excluded.count',
    bucket,
    counter.windowStart,
    counter.count,
  );
  return decision;
}
