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

export type ErrorCode = 'invalid_request' | 'payload_too_large' | 'rate_limited' | 'quota_exceeded' | 'internal';

export type ServerFrame =
  | { type: 'challenge'; nonce: string }
  | { type: 'ready'; user_id: string; head: number; cursor: number }
  | Ack
  | Conflict
  | ({ type: 'event' } & RealtimeEvent)
  | { type: 'replay'; events: RealtimeEvent[]; next_after: number | null }
  | { type: 'resync_required'; id?: string; horizon: number }
  | { type: 'error'; id?: string; code: ErrorCode; message: string };

export type ClientFrame =
  | { type: 'hello'; device_id: string; nonce: string; v: 1 }
  | { type: 'auth'; signature: string }
  | ({ type: 'event' } & OutgoingEvent)
  | { type: 'replay'; after: number; limit?: number; id?: string }
  | { type: 'ack'; seq: number };
