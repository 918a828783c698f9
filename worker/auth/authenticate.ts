/**
 * Who is calling: an access token (bearer or cookie) verified here, then confirmed by the
 * user's actor, which knows whether the session is still live and counts the API limit.
 */

import type { Profile } from '../../core/db/users';
import { verifyAccessToken } from '../../core/jwt';
import type { Decision } from '../../core/rate-limit';
import type { Result } from '../../core/result';
import type { AuthorizeFailure } from '../../objects/user/api';
import type { Principal, RequestContext } from '../context';
import { ApiError } from '../errors';
import { bearerToken } from '../http/bearer';
import { isAllowedOrigin } from '../http/cors';
import { applyRateLimit } from '../http/rate-limit';
import { userActor } from './actor';
import { identifyApiKey, isApiKey } from './api-key';
import { ACCESS_COOKIE, readCookie } from './cookies';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Unsafe cookie-authenticated requests must come from an allowed origin (CSRF). */
export function requireTrustedOrigin(request: Request, rc: RequestContext): void {
  if (SAFE_METHODS.has(request.method)) return;
  if (!isAllowedOrigin(rc, rc.origin))
    throw new ApiError('forbidden', 'This request must come from an allowed origin.');
}

/**
 * Who the credential names, checked without the user's actor: the access token's signature,
 * or the API key's row. Not yet admitted: the actor decides whether the session is live and
 * counts the API limit (`authenticate`, or a route that admits in its own RPC).
 */
export async function identify(request: Request, rc: RequestContext): Promise<Principal> {
  const bearer = bearerToken(request);
  const cookie = bearer ? null : readCookie(request, ACCESS_COOKIE);
  const token = bearer ?? cookie;
  if (!token) throw new ApiError('unauthorized');
  if (bearer && isApiKey(bearer)) return identifyApiKey(bearer, rc);
  if (cookie) requireTrustedOrigin(request, rc);
  const claims = await verifyAccessToken(rc.config.jwt, token);
  if (!claims) throw new ApiError('unauthorized', 'The access token is invalid or expired.');
  return {
    userId: claims.sub,
    sessionId: claims.sid,
    keyId: null,
    scopes: null,
    via: cookie ? 'cookie' : 'bearer',
    amr: [],
    authTime: null,
  };
}

/** The actor's admission of `principal`: rate-limit headers set, a refusal thrown as 401 (or 429). */
export function admitted<T extends { rate: Decision }>(
  rc: RequestContext,
  principal: Principal,
  verdict: Result<T, AuthorizeFailure>,
): T {
  if (!verdict.ok) {
    if (verdict.error.type === 'rate_limited') applyRateLimit(rc, verdict.error.rate);
    throw new ApiError('unauthorized', principal.keyId === null ? 'The session has ended.' : undefined);
  }
  applyRateLimit(rc, verdict.value.rate);
  return verdict.value;
}

/** Identifies the caller and has the user's actor admit it (one RPC). */
export async function authenticate(
  request: Request,
  rc: RequestContext,
): Promise<{ principal: Principal; profile: Profile | null }> {
  const principal = await identify(request, rc);
  const actor = userActor(rc, principal.userId);
  const limit = rc.config.rateLimits.api;
  if (principal.keyId !== null) {
    const { profile } = admitted(rc, principal, await actor.authorizeKey(principal.keyId, limit));
    return { principal, profile };
  }
  const { profile, amr, authTime } = admitted(rc, principal, await actor.authorize(principal.sessionId, limit));
  return { principal: { ...principal, amr, authTime }, profile };
}
