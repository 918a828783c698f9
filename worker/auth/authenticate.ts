/**
 * Who is calling: an access token (bearer or cookie) verified here, then confirmed by the
 * user's actor, which knows whether the session is still live and counts the API limit.
 */

import type { Profile } from '../../core/db/users';
import { verifyAccessToken } from '../../core/jwt';
import type { Principal, RequestContext } from '../context';
import { ApiError } from '../errors';
import { bearerToken } from '../http/bearer';
import { isAllowedOrigin } from '../http/cors';
import { applyRateLimit } from '../http/rate-limit';
import { userActor } from './actor';
import { authenticateApiKey, isApiKey } from './api-key';
import { ACCESS_COOKIE, readCookie } from './cookies';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Unsafe cookie-authenticated requests must come from an allowed origin (CSRF). */
export function requireTrustedOrigin(request: Request, rc: RequestContext): void {
  if (SAFE_METHODS.has(request.method)) return;
  if (!isAllowedOrigin(rc, rc.origin))
    throw new ApiError('forbidden', 'This request must come from an allowed origin.');
}

export async function authenticate(
  request: Request,
  rc: RequestContext,
): Promise<{ principal: Principal; profile: Profile | null }> {
  const bearer = bearerToken(request);
  const cookie = bearer ? null : readCookie(request, ACCESS_COOKIE);
  const token = bearer ?? cookie;
  if (!token) throw new ApiError('unauthorized');
  if (bearer && isApiKey(bearer)) return authenticateApiKey(bearer, rc);
  if (cookie) requireTrustedOrigin(request, rc);
  const claims = await verifyAccessToken(rc.config.jwt, token);
  if (!claims) throw new ApiError('unauthorized', 'The access token is invalid or expired.');
  const verdict = await userActor(rc, claims.sub).authorize(claims.sid, rc.config.rateLimits.api);
  if (!verdict.ok) {
    if (verdict.error.type === 'rate_limited') applyRateLimit(rc, verdict.error.rate);
    throw new ApiError('unauthorized', 'The session has ended.');
  }
  applyRateLimit(rc, verdict.value.rate);
  return {
    principal: {
      userId: claims.sub,
      sessionId: claims.sid,
      scopes: null,
      via: cookie ? 'cookie' : 'bearer',
      amr: verdict.value.amr,
      authTime: verdict.value.authTime,
    },
    profile: verdict.value.profile,
  };
}
