/**
 * The user's ordered event log. `seq` is assigned as MAX(seq) + 1 inside the transaction that
 * stores the event, so it is strictly increasing without gaps; the client's event id makes an
 * append idempotent; keyed events carry a version for optimistic concurrency.
 */
import { err, ok, type Result } from '../../core/result';
import type { EventOut, JsonValue, ReplayOut } from '../../core/schemas/events';
import { all, one } from '../shared/query';

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

/** The log's input for a validated event from `deviceId` (null over HTTP). */
export const appendInputOf = (event: EventSpelling, deviceId: string | null): AppendInput => ({
  id: event.id,
  stream: event.stream,
  key: event.key ?? null,
  baseVersion: event.base_version ?? null,
  payload: event.payload,
  expiresAt: event.expires_at === undefined ? null : Date.parse(event.expires_at),
  deviceId,
});

export interface Ack {
  id: string;
  seq: number;
  version: number | null;
}

export type AppendFailure =
  | { type: 'conflict'; id: string; key: string; version: number; payload: JsonValue }
  | { type: 'expired' }
  /** The id was appended before with another stream, key, base version or payload. */
  | { type: 'id_reused'; id: string };

interface EventRow extends Record<string, SqlStorageValue> {
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

const toEvent = (row: EventRow): EventOut => ({
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
  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
  ) {}

  /** The newest seq (0 for an empty log). */
  head(): number {
    return one<{ head: number }>(this.sql, 'SELECT COALESCE(MAX(seq), 0) AS head FROM events')!.head;
  }

  private byId(id: string): EventRow | undefined {
    return one<EventRow>(this.sql, 'SELECT * FROM events WHERE id = ?', id);
  }

  private current(stream: string, key: string): { version: number; payload: JsonValue } {
    const row = one<{ version: number; payload: string }>(
      this.sql,
      'SELECT k.version, e.payload FROM event_keys k JOIN events e ON e.seq = k.seq WHERE k.stream = ? AND k.key = ?',
      stream,
      key,
    );
    return row
      ? { version: row.version, payload: JSON.parse(row.payload) as JsonValue }
      : { version: 0, payload: null };
  }

  /**
   * Stores an event and returns its ack, plus the event itself when it is new (to relay).
   * A retried id gets its first ack; a stale `baseVersion` appends nothing.
   */
  append(input: AppendInput, now = Date.now()): Result<{ ack: Ack; event: EventOut | null }, AppendFailure> {
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
      const seq = this.head() + 1;
      this.sql.exec(
        'INSERT INTO events (seq, id, device_id, stream, key, version, payload, at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        seq,
        input.id,
        input.deviceId,
        input.stream,
        input.key,
        version,
        JSON.stringify(input.payload),
        now,
        input.expiresAt,
      );
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

  /** Every stored event, for the data export. */
  all(): EventOut[] {
    return all<EventRow>(this.sql, 'SELECT * FROM events ORDER BY seq').map(toEvent);
  }
}
