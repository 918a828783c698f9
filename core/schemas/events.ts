/** The event log's shapes (DESIGN.md §5), shared by the HTTP routes and the socket protocol. */
import * as v from 'valibot';
import { withinDepth } from '../json-depth';
import { Timestamp } from './common';

/** Bytes of a serialized payload, and of a whole socket frame. */
export const MAX_PAYLOAD_BYTES = 32 * 1024;
export const MAX_FRAME_BYTES = 64 * 1024;
export const REPLAY_MAX = 500;
export const REPLAY_DEFAULT = 100;
/**
 * Arrays and objects a payload may nest. Deeper values overflow the stack of the actor call
 * that stores them, so they are refused here, where HTTP bodies and socket frames both pass.
 */
export const MAX_PAYLOAD_DEPTH = 32;

/** An event id, stream or key: 1 to 128 characters of `[A-Za-z0-9._:-]`. */
export const Name = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1 to 128 characters of A-Z a-z 0-9 . _ : -'),
);
/**
 * A JSON value, as JSON.parse produces it. Typed as "anything but undefined": a recursive
 * JSON type is too deep for the RPC stubs' mapped types.
 */
export type JsonValue = NonNullable<unknown> | null;

/** Any JSON value: bodies and frames are parsed as JSON before they meet this schema. */
const Payload = v.custom<JsonValue>(() => true);

/** A payload a client sends: any JSON value nested at most MAX_PAYLOAD_DEPTH levels. */
const PayloadIn = v.custom<JsonValue>(
  (value) => withinDepth(value, MAX_PAYLOAD_DEPTH),
  `must be nested at most ${MAX_PAYLOAD_DEPTH} levels`,
);

export const Seq = v.pipe(v.number(), v.safeInteger('must be a whole number'), v.minValue(0, 'must be at least 0'));

/** The fields of an appended event, over HTTP and in a socket's `event` frame. */
export const eventEntries = {
  id: Name,
  stream: Name,
  key: v.optional(Name),
  base_version: v.optional(Seq),
  payload: PayloadIn,
  expires_at: v.optional(Timestamp),
};

const needsKey = (input: { key?: string; base_version?: number }) =>
  input.base_version === undefined || input.key !== undefined;

/** POST /v1/events: the socket's `event` frame, `type` optional. */
export const AppendEvent = v.pipe(
  v.strictObject({ type: v.optional(v.literal('event')), ...eventEntries }),
  v.forward(
    v.check((input) => needsKey(input), 'needs a key'),
    ['base_version'],
  ),
);

/** The socket's `event` frame. */
export const EventFrame = v.pipe(
  v.strictObject({ type: v.literal('event'), ...eventEntries }),
  v.forward(
    v.check((input) => needsKey(input), 'needs a key'),
    ['base_version'],
  ),
);
export type EventFrame = v.InferOutput<typeof EventFrame>;
export type AppendEvent = v.InferOutput<typeof AppendEvent>;

export const EventsQuery = v.strictObject({
  after: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/, 'must be a whole number'), v.transform(Number)), '0'),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,9}$/, 'must be a whole number'),
      v.transform(Number),
      v.minValue(1, 'must be at least 1'),
      v.maxValue(REPLAY_MAX, `must be at most ${REPLAY_MAX}`),
    ),
    String(REPLAY_DEFAULT),
  ),
});

/** The snapshot cursor as the wire carries it: base64url of JSON, opaque to clients. */
export const SNAPSHOT_CURSOR = /^[A-Za-z0-9_-]{1,1024}$/;
export const SnapshotCursor = v.strictObject({
  head: Seq,
  stream: v.pipe(v.string(), v.maxLength(128)),
  key: v.pipe(v.string(), v.maxLength(128)),
});
export type SnapshotCursor = v.InferOutput<typeof SnapshotCursor>;

export const SnapshotQuery = v.strictObject({
  cursor: v.optional(v.pipe(v.string(), v.regex(SNAPSHOT_CURSOR, 'is not a cursor this API gave out'))),
  limit: EventsQuery.entries.limit,
});

export const SnapshotItem = v.object({
  stream: v.string(),
  key: v.string(),
  version: v.number(),
  seq: v.number(),
  id: v.string(),
  device_id: v.nullable(v.string()),
  payload: Payload,
  at: Timestamp,
});

export type SnapshotItem = v.InferOutput<typeof SnapshotItem>;

export const SnapshotOut = v.object({
  items: v.array(SnapshotItem),
  next_cursor: v.nullable(v.string()),
  head: v.number(),
});

export const EventOut = v.object({
  seq: v.number(),
  id: v.string(),
  device_id: v.nullable(v.string()),
  stream: v.string(),
  key: v.nullable(v.string()),
  version: v.nullable(v.number()),
  payload: Payload,
  at: Timestamp,
});
export type EventOut = v.InferOutput<typeof EventOut>;

export const ReplayOut = v.object({ events: v.array(EventOut), next_after: v.nullable(v.number()) });
export type ReplayOut = v.InferOutput<typeof ReplayOut>;

export const AckOut = v.object({ id: v.string(), seq: v.number(), version: v.nullable(v.number()) });

/** The serialized size of a payload in bytes. */
export const payloadBytes = (payload: unknown): number => new TextEncoder().encode(JSON.stringify(payload)).byteLength;
