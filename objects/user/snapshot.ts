/**
 * The snapshot of a user's log: the current value of every live keyed event, in (stream, key)
 * order, a page at a time. A client whose replay point is before the compaction horizon reads
 * every page, then replays after `head`, the log's head when the first page was read.
 */
import type { JsonValue, SnapshotCursor, SnapshotItem } from '../../core/schemas/events';
import { all } from '../shared/query';

export type { SnapshotCursor };

export interface SnapshotPage {
  items: SnapshotItem[];
  next: SnapshotCursor | null;
  head: number;
}

/** A snapshot item as SQLite holds it: the payload as JSON text, `at` in Unix ms. */
type ItemRow = Omit<SnapshotItem, 'payload' | 'at'> & { payload: string; at: number } & Record<string, SqlStorageValue>;

export function snapshotPage(
  sql: SqlStorage,
  head: number,
  after: SnapshotCursor | null,
  limit: number,
  now = Date.now(),
): SnapshotPage {
  const rows = all<ItemRow>(
    sql,
    `SELECT k.stream, k.key, k.version, e.seq, e.id, e.device_id, e.payload, e.at
       FROM event_keys k JOIN events e ON e.seq = k.seq
      WHERE (e.expires_at IS NULL OR e.expires_at > ?) AND (k.stream, k.key) > (?, ?)
      ORDER BY k.stream, k.key LIMIT ?`,
    now,
    after?.stream ?? '',
    after?.key ?? '',
    limit + 1,
  );
  const items = rows.slice(0, limit).map((row) => ({
    ...row,
    payload: JSON.parse(row.payload) as JsonValue,
    at: new Date(row.at).toISOString(),
  }));
  const last = items.at(-1);
  const start = after?.head ?? head;
  return {
    items,
    next: rows.length > limit && last ? { head: start, stream: last.stream, key: last.key } : null,
    head: start,
  };
}
