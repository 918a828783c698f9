/**
 * The signed-in user's connected provider accounts: list (never tokens), a provider access
 * token for the app (a sensitive read), and unlink (DESIGN.md §6).
 */
import { listConnections, unlinkConnection } from '../../core/db/oauth-accounts';
import {
  ConnectionReauthOut,
  ConnectionsOut,
  ProviderParams,
  ProviderTokenOut,
  ProviderTokenQuery,
} from '../../core/schemas/oauth';
import { ReauthRequiredOut } from '../../core/schemas/step-up';
import { isoOrNull } from '../../core/time';
import { userActor } from '../auth/actor';
import { audit } from '../auth/audit';
import { requireStepUp } from '../auth/step-up';
import { ApiError, orFail } from '../errors';
import { validate } from '../http/body';
import { applyRateLimit } from '../http/rate-limit';
import { revokeLater } from '../oauth/revoke';
import { noContent, route } from '../route';

/** 409 with where the user signs in with the provider again (a link flow). */
function reauthAtProvider(request: Request, provider: string): ApiError {
  const linkUrl = new URL(`/v1/oauth/${provider}/start`, request.url);
  linkUrl.searchParams.set('intent', 'link');
  return new ApiError('connection_reauth_required', undefined, { body: { provider, link_url: linkUrl.href } });
}

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
    method: 'GET',
    path: '/v1/me/connections/:provider/token',
    summary: 'A provider access token for the app, valid for at least min_ttl seconds',
    tag: 'OAuth',
    access: 'user',
    scope: 'connections:read',
    query: ProviderTokenQuery,
    responses: {
      200: {
        description:
          'The token, refreshed first when it would expire within `min_ttl` (default 60). A token refreshed in the last minute is answered as it is, even if the provider gives it a shorter life. Audited; `no-store`.',
        schema: ProviderTokenOut,
      },
      401: {
        description: '`reauth_required`: a session must have signed in (or stepped up) within 10 minutes.',
        schema: ReauthRequiredOut,
      },
      403: { description: 'An API key without the `connections:read` scope.' },
      404: { description: 'You have no connection to this provider, or it is no longer configured.' },
      409: {
        description:
          '`connection_reauth_required`: the provider refused the refresh token (or there is none): sign in with it again at `link_url`.',
        schema: ConnectionReauthOut,
      },
      429: { description: 'Past the per-user `provider_token` limit of RATE_LIMITS.' },
      503: { description: '`upstream_unavailable`: the provider did not answer, or its circuit breaker is open.' },
    },
    async handle({ request, rc, params, query, reply }) {
      const { provider } = validate(ProviderParams, params);
      const userId = rc.principal.userId;
      // A session proves a recent sign-in; an API key got here only with `connections:read`.
      if (rc.principal.sessionId) await requireStepUp(rc, undefined);
      const limit = rc.config.rateLimits.provider_token;
      const result = await userActor(rc, userId).providerToken(provider, query.min_ttl * 1000, limit);
      if (!result.ok && result.error.type === 'rate_limited') applyRateLimit(rc, result.error.rate);
      const access = orFail(result, {
        not_found: () => new ApiError('not_found', 'No such connection.'),
        reauth_required: () => reauthAtProvider(request, provider),
        unavailable: () => new ApiError('upstream_unavailable', 'The provider is unavailable; retry later.'),
        rate_limited: () => new ApiError('rate_limited'),
      });
      await audit(rc, userId, 'oauth_token_read', {
        provider,
        via: rc.principal.via,
        ...(rc.principal.sessionId ? { session_id: rc.principal.sessionId } : {}),
      });
      return reply(200, {
        provider,
        access_token: access.accessToken,
        token_type: 'Bearer',
        expires_at: isoOrNull(access.expiresAt),
        scopes: access.scope ? access.scope.split(' ').filter(Boolean) : [],
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
      204: {
        description:
          'Unlinked; its tokens are deleted, no longer refreshed, and revoked at the provider (RFC 7009, when it offers revocation) after the answer.',
      },
      404: { description: 'You have no connection to this provider.' },
      409: { description: 'It is your only way to sign in: set a password or connect another provider first.' },
    },
    async handle({ rc, params }) {
      const { provider } = validate(ProviderParams, params);
      const userId = rc.principal.userId;
      const unlinked = orFail(await unlinkConnection(rc.d1.primary(), userId, provider), {
        not_found: () => new ApiError('not_found', 'No such connection.'),
        only_sign_in: () =>
          new ApiError(
            'conflict',
            'This connection is your only way to sign in: set a password or connect another provider first.',
          ),
      });
      await userActor(rc, userId).forgetConnection(provider);
      revokeLater(rc, [unlinked]);
      await audit(rc, userId, 'oauth_unlinked', { provider });
      return noContent();
    },
  }),
];
