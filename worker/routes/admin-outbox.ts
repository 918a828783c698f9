/** Operator endpoints of the outbox: parked messages across users, and a retry (DESIGN.md §7). ADMIN_TOKEN only. */
import { type DeadRow, findDead, forgetDead, listDead } from '../../core/db/outbox-dead';
import { DeadMessagesOut, OutboxParams, OutboxQuery } from '../../core/schemas/outbox';
import { userActor } from '../auth/actor';
import { ApiError } from '../errors';
import { validate } from '../http/body';
import { route } from '../route';

const present = (row: DeadRow) => ({
  id: row.id,
  user_id: row.userId,
  channel: row.channel,
  kind: row.kind,
  attempts: row.attempts,
  last_error: row.lastError,
  dead_at: new Date(row.deadAt).toISOString(),
});

const noSuchMessage = () => new ApiError('not_found', 'No such dead message.');

export const adminOutboxRoutes = [
  route({
    method: 'GET',
    path: '/v1/admin/outbox',
    summary: 'List outbox messages parked after too many failed deliveries, newest first',
    tag: 'Operations',
    access: 'admin',
    query: OutboxQuery,
    responses: { 200: { description: 'Dead messages (`status=dead`, the default).', schema: DeadMessagesOut } },
    async handle({ rc, query, reply }) {
      const rows = await listDead(rc.env.DB, query.limit);
      return reply(200, { messages: rows.map(present) });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/admin/outbox/:id/retry',
    summary: 'Put a dead message back in line; its actor delivers it now, with a fresh count of attempts',
    tag: 'Operations',
    access: 'admin',
    responses: {
      202: { description: 'Queued again; it leaves the dead list.' },
      400: { description: 'The id is not well formed (`invalid_request`).' },
      404: { description: 'No dead message has this id.' },
    },
    async handle({ rc, params }) {
      const { id } = validate(OutboxParams, params);
      const row = await findDead(rc.env.DB, id);
      if (!row) throw noSuchMessage();
      const revived = await userActor(rc, row.userId).retryOutbox(id);
      await forgetDead(rc.env.DB, id);
      if (!revived.ok) throw noSuchMessage();
      return new Response(null, { status: 202 });
    },
  }),
];
