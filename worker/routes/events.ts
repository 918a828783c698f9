/** The user's event log over HTTP: append, and replay with pagination (DESIGN.md §5). */
import {
  AckOut,
  AppendEvent,
  EventsQuery,
  MAX_PAYLOAD_BYTES,
  payloadBytes,
  ReplayOut,
  SnapshotOut,
  SnapshotQuery,
} from '../../core/schemas/events';
import { decodeCursor, encodeCursor } from '../../core/snapshot-cursor';
import { appendInputOf } from '../../objects/user/api';
import { userActor } from '../auth/actor';
import { admitted } from '../auth/authenticate';
import { ApiError, invalidField } from '../errors';
import { route } from '../route';

export const eventRoutes = [
  route({
    method: 'POST',
    path: '/v1/events',
    summary: 'Append an event (the body of the socket’s `event` frame)',
    tag: 'Events',
    access: 'user',
    scope: 'write',
    admitIn: 'handler',
    body: AppendEvent,
    responses: {
      201: {
        description: 'Stored: its `seq` and the key’s new `version`; a retried `id` gets the first answer.',
        schema: AckOut,
      },
      409: {
        description:
          '`base_version` is not the key’s version: `key`, `version` and `payload` beside `error` are current. Or the `id` was used before for a different event (only `id` beside `error`).',
      },
      413: { description: 'The payload is over 32 KiB serialized.' },
      507: { description: 'The user’s log is at its quota (`quota_exceeded`, EVENT_LOG_LIMITS); nothing was stored.' },
    },
    async handle({ rc, body, reply }) {
      if (payloadBytes(body.payload) > MAX_PAYLOAD_BYTES) {
        throw new ApiError('payload_too_large', 'A payload is at most 32 KiB serialized.', {
          details: [{ path: 'payload', message: 'must be at most 32 KiB serialized' }],
        });
      }
      const { userId, sessionId, keyId } = rc.principal;
      const verdict = await userActor(rc, userId).admitAndAppend(
        { sessionId, keyId },
        rc.config.rateLimits.api,
        appendInputOf(body, null, rc.requestId),
      );
      const result = admitted(rc, rc.principal, verdict).appended;
      if (result.ok) return reply(201, result.value);
      if (result.error.type === 'conflict') {
        const { id, key, version, payload } = result.error;
        throw new ApiError('conflict', 'base_version is not the key’s current version.', {
          body: { id, key, version, payload },
        });
      }
      if (result.error.type === 'quota_exceeded') throw new ApiError('quota_exceeded');
      if (result.error.type === 'id_reused') {
        throw new ApiError('conflict', 'This id was used for a different event.', { body: { id: result.error.id } });
      }
      throw invalidField('expires_at', 'is more than 5 minutes in the past');
    },
  }),
  route({
    method: 'GET',
    path: '/v1/events',
    summary: 'Replay the log after a seq, oldest first',
    tag: 'Events',
    access: 'user',
    scope: 'read',
    query: EventsQuery,
    responses: {
      200: { description: 'A page; pass `next_after` as `after` for the next, until it is null.', schema: ReplayOut },
      409: {
        description:
          '`after` is before the compaction horizon (`resync_required`, `horizon` inside `error`): read /v1/events/snapshot, then replay after its `head`.',
      },
    },
    async handle({ rc, query, reply }) {
      const result = await userActor(rc, rc.principal.userId).replayFrom(query.after, query.limit);
      if (result.ok) return reply(200, result.value);
      throw new ApiError('resync_required', undefined, { error: { horizon: result.error.horizon } });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/events/snapshot',
    summary: 'The current value of every live keyed event, a page at a time',
    tag: 'Events',
    access: 'user',
    scope: 'read',
    query: SnapshotQuery,
    responses: {
      200: {
        description:
          'A page in (stream, key) order; pass `next_cursor` as `cursor` until it is null, then replay after `head`.',
        schema: SnapshotOut,
      },
    },
    async handle({ rc, query, reply }) {
      const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
      if (query.cursor !== undefined && !cursor) throw invalidField('cursor', 'is not a cursor this API gave out');
      const page = await userActor(rc, rc.principal.userId).snapshotEvents(cursor, query.limit);
      return reply(200, {
        items: page.items,
        next_cursor: page.next ? encodeCursor(page.next) : null,
        head: page.head,
      });
    },
  }),
];
