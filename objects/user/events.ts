/**
 * The user's ordered event log. `seq` is assigned as the log's head + 1 inside the transaction
 * that stores the event (the head is kept in log_state, so a purge never hands a seq out
 * again), so it is strictly increasing without gaps; the client's event id makes an
 * append idempotent; keyed events carry a version for optimistic concurrency.
 */
import { err, ok, type Result } from '../../core/result';
import type { EventOut, JsonValue, ReplayOut } from '../../core/schemas/events';
import { all, one } from '../shared/query';
import { LogTotals, rowBytes } from './log-state';

/** How far in the past `expires_at` may be (clients' clock skew). */
export const EXPIRY_SKEW_MS = 5 * 60 * 1000;

export interface AppendInput {
  id: string;
  stream: string;
  key: string | null;
  baseVersion: number | null;
  payload: JsonValue;
  /** Unix ms. */
  expiresAt: number | null;
  /** The device that sent it; null over HTTP. */
  deviceId: string | null;
  /** The request that carried it (the HTTP request, or the socket's upgrade), for log lines; never stored. */
  requestId?: string | null;
}

/** An event as HTTP bodies and socket frames spell it (both validated by the same schema). */
interface EventSpelling {
  id: string;
  stream: string;
  key?: string | undefined;
  base_version?: number | undefined;
  payload: JsonValue;
  expires_at?: string | undefined;
}

/** The log's input for a validated event from `deviceId` (null over HTTP), within request `requestId`. */
export const appendInputOf = (
  event: EventSpelling,
  deviceId: string | null,
  requestId: string | null = null,
): AppendInput => ({
  id: event.id,
  stream: event.stream,
  key: event.key ?? null,
  baseVersion: event.base_version ?? null,
  payload: event.payload,
  expiresAt: event.expires_at === undefined ? null : Date.parse(event.expires_at),
  deviceId,
  requestId,
});

export interface Ack {
  id: string;
  seq: number;
  version: number | null;
}

export type AppendFailure =
  | { type: 'conflict'; id: string; key: string; version: number; payload: JsonValue }
  | { type: 'expired' }
  | { type: 'quota_exceeded' }
  /** The id was appended before with another stream, key, base version or payload. */
  | { type: 'id_reused'; id: string };

/** What one user's log may hold (EVENT_LOG_LIMITS). */
export interface LogQuota {
  maxEvents: number;
  maxBytes: number;
}

/** A replay from before the compaction horizon: the client must fetch the snapshot first. */
export type ResyncRequired = { type: 'resync_required'; horizon: number };

export interface EventRow extends Record<string, SqlStorageValue> {
  seq: number;
  id: string;
  device_id: string | null;
  stream: string;
  key: string | null;
  version: number | null;
  payload: string;
  at: number;
  expires_at: number | null;
}

export const toEvent = (row: EventRow): EventOut => ({
  seq: row.seq,
  id: row.id,
  device_id: row.device_id,
  stream: row.stream,
  key: row.key,
  version: row.version,
  payload: JSON.parse(row.payload) as JsonValue,
  at: new Date(row.at).toISOString(),
});

/** Whether a retried append is the stored event again (its base version is what the stored version was built on). */
const sameEvent = (row: EventRow, input: AppendInput): boolean =>
  row.stream === input.stream &&
  row.key === input.key &&
  (input.baseVersion === null || row.version === input.baseVersion + 1) &&
  row.payload === JSON.stringify(input.payload);

export class EventLog {
  private readonly totals: LogTotals;

  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
  ) {
    this.totals = new LogTotals(sql);
  }

  /** The newest seq ever assigned (0 for an empty log), though a purge may have removed it. */
  head(): number {
    return this.totals.read().head;
  }

  private byId(id: string): EventRow | undefined {
    return one<EventRow>(this.sql, 'SELECT * FROM events WHERE id = ?', id);
  }

  /** The key's version, and its payload while that event is stored (a purged one leaves its version). */
  private current(stream: string, key: string): { version: number; payload: JsonValue } {
    const row = one<{ version: number; payload: string | null }>(
      this.sql,
      'SELECT k.version, e.payload FROM event_keys k LEFT JOIN events e ON e.seq = k.seq WHERE k.stream = ? AND k.key = ?',
      stream,
      key,
    );
    if (!row) return { version: 0, payload: null };
    return { version: row.version, payload: row.payload === null ? null : (JSON.parse(row.payload) as JsonValue) };
  }

  /**
   * Stores an event and returns its ack, plus the event itself when it is new (to relay).
   * A retried id gets its first ack (while its event is stored); a stale `baseVersion`, or an
   * event that would take the log past `quota`, appends nothing.
   */
  append(
    input: AppendInput,
    quota: LogQuota,
    now = Date.now(),
  ): Result<{ ack: Ack; event: EventOut | null }, AppendFailure> {
    return this.storage.transactionSync(() => {
      const previous = this.byId(input.id);
      if (previous) {
        if (!sameEvent(previous, input)) return err({ type: 'id_reused', id: input.id });
        return ok({ ack: { id: previous.id, seq: previous.seq, version: previous.version }, event: null });
      }
      if (input.expiresAt !== null && input.expiresAt < now - EXPIRY_SKEW_MS) return err({ type: 'expired' });
      let version: number | null = null;
      if (input.key !== null) {
        const current = this.current(input.stream, input.key);
        if (input.baseVersion !== null && input.baseVersion !== current.version) {
          return err({ type: 'conflict', id: input.id, key: input.key, ...current });
        }
        version = current.version + 1;
      }
      const payload = JSON.stringify(input.payload);
      const bytes = rowBytes({ ...input, payload });
      const used = this.totals.read();
      if (used.events + 1 > quota.maxEvents || used.bytes + bytes > quota.maxBytes)
        return err({ type: 'quota_exceeded' });
      const seq = used.head + 1;
      this.sql.exec(
        'INSERT INTO events (seq, id, device_id, stream, key, version, payload, at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        seq,
        input.id,
        input.deviceId,
        input.stream,
        input.key,
        version,
        payload,
        now,
        input.expiresAt,
      );
      this.totals.appended(seq, bytes);
      if (input.key !== null) {
        this.sql.exec(
          'INSERT INTO event_keys (stream, key, version, seq) VALUES (?, ?, ?, ?) ON CONFLICT (stream, key) DO UPDATE SET version = excluded.version, seq = excluded.seq',
          input.stream,
          input.key,
          version,
          seq,
        );
      }
      const event: EventOut = {
        seq,
        id: input.id,
        device_id: input.deviceId,
        stream: input.stream,
        key: input.key,
        version,
        payload: input.payload,
        at: new Date(now).toISOString(),
      };
      return ok({ ack: { id: input.id, seq, version }, event });
    });
  }

  /** Events after `after`, oldest first, leaving out expired ones; `next_after` when more remain. */
  replay(after: number, limit: number, now = Date.now()): ReplayOut {
    const rows = all<EventRow>(
      this.sql,
      'SELECT * FROM events WHERE seq > ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY seq LIMIT ?',
      after,
      now,
      limit + 1,
    );
    const page = rows.slice(0, limit).map(toEvent);
    return { events: page, next_after: rows.length > limit ? (page.at(-1)?.seq ?? null) : null };
  }

  /** `replay` for a client: refused from before the compaction horizon, where events are missing. */
  replayFrom(after: number, limit: number, now = Date.now()): Result<ReplayOut, ResyncRequired> {
    const { horizon } = this.totals.read();
    if (after < horizon) return err({ type: 'resync_required', horizon });
    return ok(this.replay(after, limit, now));
  }

  /** Every stored event, for the data export. */
  all(): EventOut[] {
    return all<EventRow>(this.sql, 'SELECT * FROM events ORDER BY seq').map(toEvent);
  }
}
