/** The signed-in user's connected provider accounts: list (never tokens) and unlink (DESIGN.md §6). */
import { listConnections, unlinkConnection } from '../../core/db/oauth-accounts';
import { ConnectionsOut, ProviderParams } from '../../core/schemas/oauth';
import { isoOrNull } from '../../core/time';
import { userActor } from '../auth/actor';
import { audit } from '../auth/audit';
import { ApiError, orFail } from '../errors';
import { validate } from '../http/body';
import { noContent, route } from '../route';

export const connectionRoutes = [
  route({
    method: 'GET',
    path: '/v1/me/connections',
    summary: 'Your connected provider accounts',
    tag: 'OAuth',
    access: 'user',
    scope: 'read',
    responses: { 200: { description: 'Connections, oldest first; tokens are never shown.', schema: ConnectionsOut } },
    async handle({ rc, reply }) {
      const rows = await listConnections(rc.d1.replica(), rc.principal.userId);
      return reply(200, {
        connections: rows.map((r) => ({
          provider: r.provider,
          provider_user_id: r.providerUserId,
          email: r.email,
          status: r.status,
          expires_at: isoOrNull(r.expiresAt),
          last_refreshed_at: isoOrNull(r.lastRefreshedAt),
        })),
      });
    },
  }),
  route({
    method: 'DELETE',
    path: '/v1/me/connections/:provider',
    summary: 'Unlink a provider account',
    tag: 'OAuth',
    access: 'user',
    scope: 'account',
    responses: {
      204: { description: 'Unlinked; its tokens are deleted and no longer refreshed.' },
      404: { description: 'You have no connection to this provider.' },
      409: { description: 'It is your only way to sign in: set a password or connect another provider first.' },
    },
    async handle({ rc, params }) {
      const { provider } = validate(ProviderParams, params);
      const userId = rc.principal.userId;
      orFail(await unlinkConnection(rc.d1.primary(), userId, provider), {
        not_found: () => new ApiError('not_found', 'No such connection.'),
        only_sign_in: () =>
          new ApiError(
            'conflict',
            'This connection is your only way to sign in: set a password or connect another provider first.',
          ),
      });
      await userActor(rc, userId).forgetConnection(provider);
      await audit(rc, userId, 'oauth_unlinked', { provider });
      return noContent();
    },
  }),
];
