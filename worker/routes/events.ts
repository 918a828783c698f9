/** The user's event log over HTTP: append, and replay with pagination (DESIGN.md §5). */
import {
  AckOut,
  AppendEvent,
  EventsQuery,
  MAX_PAYLOAD_BYTES,
  payloadBytes,
  ReplayOut,
} from '../../core/schemas/events';
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
        appendInputOf(body, null),
      );
      const result = admitted(rc, rc.principal, verdict).appended;
      if (result.ok) return reply(201, result.value);
      if (result.error.type === 'conflict') {
        const { id, key, version, payload } = result.error;
        throw new ApiError('conflict', 'base_version is not the key’s current version.', {
          body: { id, key, version, payload },
        });
      }
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
    },
    async handle({ rc, query, reply }) {
      return reply(200, await userActor(rc, rc.principal.userId).replayEvents(query.after, query.limit));
    },
  }),
];
