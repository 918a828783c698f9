/**
 * The event log's running totals (events and bytes, what the quota counts) and its compaction
 * horizon, in one row of `log_state` kept in step with the rows it counts: every change to
 * `events` updates it in the same transaction.
 */
import { one } from '../shared/query';

/**
 * What a stored event counts against the quota: its payload, id, stream and key in UTF-8,
 * plus 48 bytes for the rest of the row. The same sum in SQL and in TypeScript (rowBytes).
 */
export const ROW_BYTES_SQL =
  '(LENGTH(CAST(payload AS BLOB)) + LENGTH(CAST(id AS BLOB)) + LENGTH(CAST(stream AS BLOB)) + COALESCE(LENGTH(CAST(key AS BLOB)), 0) + 48)';

const encoder = new TextEncoder();
const size = (text: string | null): number => (text === null ? 0 : encoder.encode(text).byteLength);

export const rowBytes = (row: { id: string; stream: string; key: string | null; payload: string }): number =>
  size(row.payload) + size(row.id) + size(row.stream) + size(row.key) + 48;

export interface LogState {
  events: number;
  bytes: number;
  /** The highest seq compaction dropped: a replay after less than this needs a resync. */
  horizon: number;
  /** The highest seq ever assigned, stored or not. */
  head: number;
}

export class LogTotals {
  constructor(private readonly sql: SqlStorage) {}

  read(): LogState {
    return one<LogState & Record<string, number>>(this.sql, 'SELECT events, bytes, horizon, head FROM log_state')!;
  }

  add(events: number, bytes: number): void {
    this.sql.exec('UPDATE log_state SET events = events + ?, bytes = bytes + ?', events, bytes);
  }

  /** One appended event of `bytes` at `seq`: `add` and `advance` in one statement. */
  appended(seq: number, bytes: number): void {
    this.sql.exec('UPDATE log_state SET events = events + 1, bytes = bytes + ?, head = MAX(head, ?)', bytes, seq);
  }

  /**
   * Deletes the events matching `where` (an SQL condition on `events`), takes them off the
   * totals and answers how many went and the highest seq among them (0 for none).
   */
  remove(where: string, ...args: SqlStorageValue[]): { events: number; bytes: number; maxSeq: number } {
    const gone = one<{ events: number; bytes: number; maxSeq: number }>(
      this.sql,
      `SELECT COUNT(*) AS events, COALESCE(SUM(${ROW_BYTES_SQL}), 0) AS bytes, COALESCE(MAX(seq), 0) AS maxSeq FROM events WHERE ${where}`,
      ...args,
    )!;
    if (gone.events === 0) return gone;
    this.sql.exec(`DELETE FROM events WHERE ${where}`, ...args);
    this.add(-gone.events, -gone.bytes);
    return gone;
  }

  raiseHorizon(seq: number): void {
    this.sql.exec('UPDATE log_state SET horizon = MAX(horizon, ?)', seq);
  }

  /** Sets the totals from the rows themselves (after a bulk load). */
  recount(horizon: number, head: number): void {
    this.sql.exec(
      `UPDATE log_state SET events = (SELECT COUNT(*) FROM events), bytes = (SELECT COALESCE(SUM(${ROW_BYTES_SQL}), 0) FROM events), horizon = ?, head = MAX(?, (SELECT COALESCE(MAX(seq), 0) FROM events))`,
      horizon,
      head,
    );
  }
}
