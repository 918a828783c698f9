/** Operator view of one user's actor storage (DESIGN.md §7). ADMIN_TOKEN only. */
import { userExists } from '../../core/db/users';
import { UserParams, UserStorageOut } from '../../core/schemas/admin';
import { ApiError } from '../errors';
import { validate } from '../http/body';
import { route } from '../route';

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
      const { id } = validate(UserParams, params);
      // One D1 read first: a made-up id must not bring an actor into existence.
      if (!(await userExists(rc.env.DB, id))) throw new ApiError('not_found', 'No such user.');
      const stats = await rc.env.USER.getByName(id).storageStats();
      return reply(200, {
        user_id: id,
        events: stats.events,
        bytes: stats.bytes,
        horizon: stats.horizon,
        head: stats.head,
        database_bytes: stats.databaseBytes,
        quota: { max_events: stats.quota.maxEvents, max_bytes: stats.quota.maxBytes },
      });
    },
  }),
];
