/** Operator view of one user's actor storage (DESIGN.md §7). ADMIN_TOKEN only. */
import { userExists } from '../../core/db/users';
import {
  AuditLoad,
  AuditLoaded,
  LOAD_BODY_BYTES,
  LogComplete,
  LogCompleted,
  LogLoad,
  LogLoaded,
  PITR_WINDOW_MS,
  RestorePoint,
  RestorePointOut,
  UserParams,
  UserStorageOut,
} from '../../core/schemas/admin';
import type { RequestContext } from '../context';
import { ApiError, invalidField } from '../errors';
import { validate } from '../http/body';
import { route } from '../route';

/** The actor of an existing user: one D1 read first, so a made-up id never brings an actor into existence. */
async function existingUser(rc: RequestContext, params: Record<string, string>) {
  const { id } = validate(UserParams, params);
  if (!(await userExists(rc.env.DB, id))) throw new ApiError('not_found', 'No such user.');
  return { id, actor: rc.env.USER.getByName(id) };
}

export const adminUserRoutes = [
  route({
    method: 'GET',
    path: '/v1/admin/users/:id/storage',
    summary: 'Sizes and counts of one user’s actor storage',
    tag: 'Operations',
    access: 'admin',
    responses: {
      200: { description: 'The user’s event log totals, horizon, head and database size.', schema: UserStorageOut },
      400: { description: 'The id is not well formed (`invalid_request`).' },
      404: { description: 'No user has this id.' },
    },
    async handle({ rc, params, reply }) {
      const { id, actor } = await existingUser(rc, params);
      const stats = await actor.storageStats();
      return reply(200, {
        user_id: id,
        events: stats.events,
        bytes: stats.bytes,
        horizon: stats.horizon,
        head: stats.head,
        database_bytes: stats.databaseBytes,
        quota: { max_events: stats.quota.maxEvents, max_bytes: stats.quota.maxBytes },
        exported: stats.exported,
      });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/admin/users/:id/log',
    summary: 'Restore: load a batch of a backup’s events into a user’s log',
    tag: 'Operations',
    access: 'admin',
    body: LogLoad,
    maxBodyBytes: LOAD_BODY_BYTES,
    responses: {
      200: { description: 'Stored; `events` is how many the log now holds.', schema: LogLoaded },
      400: { description: 'Malformed events, or seqs not after those already loaded (`invalid_request`).' },
      404: { description: 'No user has this id.' },
      409: { description: '`first` on a log that holds events, without `replace` (`conflict`); nothing changed.' },
      413: { description: 'A body over 8 MiB.' },
    },
    async handle({ rc, params, body, reply }) {
      const { actor } = await existingUser(rc, params);
      const result = await actor.loadLog(body);
      if (result.ok) return reply(200, result.value);
      if (result.error.type === 'not_empty') {
        throw new ApiError(
          'conflict',
          `The user’s log holds ${result.error.events} events; pass replace to overwrite it.`,
        );
      }
      throw invalidField('events', `must have seqs in increasing order, after ${result.error.after}`);
    },
  }),
  route({
    method: 'POST',
    path: '/v1/admin/users/:id/log/complete',
    summary: 'Restore: finish a user’s log after its last batch (key versions, horizon, head)',
    tag: 'Operations',
    access: 'admin',
    body: LogComplete,
    responses: {
      200: { description: 'The restored log’s event count and head.', schema: LogCompleted },
      404: { description: 'No user has this id.' },
    },
    async handle({ rc, params, body, reply }) {
      const { actor } = await existingUser(rc, params);
      return reply(200, await actor.completeLog(body));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/admin/users/:id/audit',
    summary: 'Restore: load a batch of a backup’s audit trail into a user’s actor',
    tag: 'Operations',
    access: 'admin',
    body: AuditLoad,
    maxBodyBytes: LOAD_BODY_BYTES,
    responses: {
      200: {
        description: 'Stored (by id: a batch sent twice is stored once); `entries` is how many the trail now holds.',
        schema: AuditLoaded,
      },
      400: { description: 'Malformed entries (`invalid_request`).' },
      404: { description: 'No user has this id.' },
      409: { description: '`first` on a trail that holds entries, without `replace` (`conflict`); nothing changed.' },
      413: { description: 'A body over 8 MiB.' },
    },
    async handle({ rc, params, body, reply }) {
      const { actor } = await existingUser(rc, params);
      const result = await actor.loadAudit(body);
      if (result.ok) return reply(200, result.value);
      throw new ApiError(
        'conflict',
        `The user’s audit trail holds ${result.error.entries} entries; pass replace to overwrite it.`,
      );
    },
  }),
  route({
    method: 'POST',
    path: '/v1/admin/users/:id/restore',
    summary: 'Point in time: bring a user’s actor back to a time in the last 30 days (or to a bookmark)',
    tag: 'Operations',
    access: 'admin',
    body: RestorePoint,
    responses: {
      202: {
        description:
          'The actor restarts on its storage as it was then; every session is revoked. `undo_bookmark` undoes it.',
        schema: RestorePointOut,
      },
      400: { description: 'Neither or both of `at` and `bookmark`, or `at` outside the last 30 days.' },
      404: { description: 'No user has this id.' },
      503: { description: 'This environment has no point-in-time recovery (local workerd).' },
    },
    async handle({ rc, params, body, reply }) {
      const { id, actor } = await existingUser(rc, params);
      let target: { at: number } | { bookmark: string };
      if (body.at !== undefined) {
        const at = Date.parse(body.at);
        if (at > Date.now() || at < Date.now() - PITR_WINDOW_MS)
          throw invalidField('at', 'must be in the last 30 days');
        target = { at };
      } else target = { bookmark: body.bookmark! };
      const prepared = await actor.prepareRestore(target);
      if (!prepared.ok) {
        throw new ApiError(
          'upstream_unavailable',
          'This environment’s Durable Object storage has no point-in-time recovery.',
        );
      }
      try {
        await actor.restart();
      } catch {
        // The restart ends the actor's instance, and with it this call: expected.
      }
      // Sessions revoked and links spent since that time would be live again: all of them end now.
      const revoked = await rc.env.USER.getByName(id).forgetRestoredAccess();
      return reply(202, {
        user_id: id,
        bookmark: prepared.value.bookmark,
        undo_bookmark: prepared.value.undo,
        sessions_revoked: revoked,
      });
    },
  }),
];
