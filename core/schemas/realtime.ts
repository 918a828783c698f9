/** The WebSocket protocol's frames (DESIGN.md §5): what a client sends, and what it gets back. */
import * as v from 'valibot';
import { Id } from './common';
import { EventFrame, type EventOut, type JsonValue, Name, REPLAY_DEFAULT, REPLAY_MAX, Seq } from './events';

/** 16 random bytes, base64url without padding. */
export const Nonce = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{21}[AQgw]$/, 'must be 16 bytes, base64url'));
const Signature = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,256}$/, 'must be base64url'));

export const HelloFrame = v.strictObject({ type: v.literal('hello'), device_id: Id, nonce: Nonce, v: v.literal(1) });
export const AuthFrame = v.strictObject({ type: v.literal('auth'), signature: Signature });
export const ReplayFrame = v.strictObject({
  type: v.literal('replay'),
  /** Chosen by the client; echoed in the answer (or the error), so each answer is matched to its request. */
  id: v.optional(Name),
  after: Seq,
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(REPLAY_MAX)), REPLAY_DEFAULT),
});
export const AckFrame = v.strictObject({ type: v.literal('ack'), seq: Seq });

/** Every frame a client may send once the handshake is done. */
export const ReadyFrame = v.variant('type', [EventFrame, ReplayFrame, AckFrame]);
export type ReadyFrame = v.InferOutput<typeof ReadyFrame>;

export type ErrorCode =
  | 'invalid_request'
  | 'payload_too_large'
  | 'rate_limited'
  | 'conflict'
  | 'quota_exceeded'
  | 'internal';

/** What the server sends. */
export type ServerFrame =
  | { type: 'challenge'; nonce: string }
  | { type: 'ready'; user_id: string; head: number; cursor: number }
  | { type: 'ack'; id: string; seq: number; version: number | null }
  | { type: 'conflict'; id: string; key: string; version: number; payload: JsonValue }
  | ({ type: 'event' } & EventOut)
  | { type: 'replay'; id?: string; events: EventOut[]; next_after: number | null }
  /** A replay below the log's compaction horizon: load the snapshot, then replay after its head. */
  | { type: 'resync_required'; id?: string; horizon: number }
  /** `retry_after` (seconds) comes with `rate_limited`. */
  | { type: 'error'; id?: string; code: ErrorCode; message: string; retry_after?: number };
