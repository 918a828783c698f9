/**
 * The WebSocket protocol's frames (DESIGN.md §5), as the client sees them. The SDK carries
 * its own copy so it stands alone; test/client-protocol.test.ts proves it equal to the
 * server's schemas.
 */

/** A JSON value (anything JSON.parse can produce). */
export type JsonValue = NonNullable<unknown> | null;

/** An event of the user's log. */
export interface RealtimeEvent {
  seq: number;
  id: string;
  /** The device that sent it; null when it was appended over HTTP. */
  device_id: string | null;
  stream: string;
  key: string | null;
  version: number | null;
  payload: JsonValue;
  /** When the server stored it, ISO 8601. */
  at: string;
}

/** What `send` takes: the socket's `event` frame without `type`. */
export interface OutgoingEvent {
  /** 1 to 128 of `[A-Za-z0-9._:-]`; the same id sent again is acked with the first seq. */
  id: string;
  stream: string;
  key?: string;
  /** The key's version this write is based on; another version answers a conflict. */
  base_version?: number;
  payload: JsonValue;
  /** ISO 8601; the event is left out of replay once past. */
  expires_at?: string;
}

export interface Ack {
  type: 'ack';
  id: string;
  seq: number;
  version: number | null;
}

export interface Conflict {
  type: 'conflict';
  id: string;
  key: string;
  version: number;
  payload: JsonValue;
}

export type ErrorCode =
  | 'invalid_request'
  | 'payload_too_large'
  | 'rate_limited'
  | 'conflict'
  | 'quota_exceeded'
  | 'internal';

export type ServerFrame =
  | { type: 'challenge'; nonce: string }
  | { type: 'ready'; user_id: string; head: number; cursor: number }
  | Ack
  | Conflict
  | ({ type: 'event' } & RealtimeEvent)
  | { type: 'replay'; id?: string; events: RealtimeEvent[]; next_after: number | null }
  /** A replay below the log's compaction horizon: load the snapshot, then replay after its head. */
  | { type: 'resync_required'; id?: string; horizon: number }
  /** `retry_after` (seconds) comes with `rate_limited`. */
  | { type: 'error'; id?: string; code: ErrorCode; message: string; retry_after?: number };

export type ClientFrame =
  | { type: 'hello'; device_id: string; nonce: string; v: 1 }
  | { type: 'auth'; signature: string }
  | ({ type: 'event' } & OutgoingEvent)
  | { type: 'replay'; id?: string; after: number; limit?: number }
  | { type: 'ack'; seq: number };

/** One item of the snapshot (GET /v1/events/snapshot): the latest event of a stream's key. */
export interface SnapshotItem {
  stream: string;
  key: string;
  version: number;
  seq: number;
  id: string;
  device_id: string | null;
  payload: JsonValue;
  at: string;
}

/** A page of the snapshot: pass `next_cursor` for the next, until null; then replay after `head`. */
export interface SnapshotPage {
  items: SnapshotItem[];
  next_cursor: string | null;
  head: number;
}
