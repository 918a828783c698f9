/** The WebSocket protocol's frames (DESIGN.md §5): what a client sends, and what it gets back. */
import * as v from 'valibot';
import { Id } from './common';
import { EventFrame, type EventOut, type JsonValue, REPLAY_DEFAULT, REPLAY_MAX, Seq } from './events';

/** 16 random bytes, base64url without padding. */
export const Nonce = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{21}[AQgw]$/, 'must be 16 bytes, base64url'));
const Signature = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,256}$/, 'must be base64url'));

export const HelloFrame = v.strictObject({ type: v.literal('hello'), device_id: Id, nonce: Nonce, v: v.literal(1) });
export const AuthFrame = v.strictObject({ type: v.literal('auth'), signature: Signature });
export const ReplayFrame = v.strictObject({
  type: v.literal('replay'),
  /** Echoed in a `resync_required` answer, so a client can match it to its request. */
  id: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1 to 128 characters of A-Z a-z 0-9 . _ : -')),
  ),
  after: Seq,
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(REPLAY_MAX)), REPLAY_DEFAULT),
});
export const AckFrame = v.strictObject({ type: v.literal('ack'), seq: Seq });

/** Every frame a client may send once the handshake is done. */
export const ReadyFrame = v.variant('type', [EventFrame, ReplayFrame, AckFrame]);
export type ReadyFrame = v.InferOutput<typeof ReadyFrame>;

export type ErrorCode = 'invalid_request' | 'payload_too_large' | 'rate_limited' | 'quota_exceeded' | 'internal';

/** What the server sends. */
export type ServerFrame =
  | { type: 'challenge'; nonce: string }
  | { type: 'ready'; user_id: string; head: number; cursor: number }
  | { type: 'ack'; id: string; seq: number; version: number | null }
  | { type: 'conflict'; id: string; key: string; version: number; payload: JsonValue }
  | ({ type: 'event' } & EventOut)
  | { type: 'replay'; events: EventOut[]; next_after: number | null }
  | { type: 'resync_required'; id?: string; horizon: number }
  | { type: 'error'; id?: string; code: ErrorCode; message: string };
