/**
 * API keys as bearer credentials: `dbk_` and 256 random bits. D1 keeps the SHA-256 and a
 * visible prefix; a lookup per request makes revocation immediate, while use counts are kept
 * by the user's actor and written to D1 later, off the request's path.
 */
import { findKeyByHash } from '../../core/db/api-keys';
import type { Profile } from '../../core/db/users';
import { randomId, sha256 } from '../../core/encoding';
import type { Principal, RequestContext } from '../context';
import { ApiError } from '../errors';
import { applyRateLimit } from '../http/rate-limit';
import { userActor } from './actor';

export const API_KEY_PREFIX = 'dbk_';
const PREFIX_LENGTH = 12;

export const isApiKey = (token: string): boolean => token.startsWith(API_KEY_PREFIX);

export async function newApiKey(): Promise<{ key: string; hash: string; prefix: string }> {
  const key = `${API_KEY_PREFIX}${randomId(32)}`;
  return { key, hash: await sha256(key), prefix: key.slice(0, PREFIX_LENGTH) };
}

export async function authenticateApiKey(
  key: string,
  rc: RequestContext,
): Promise<{ principal: Principal; profile: Profile | null }> {
  const row = await findKeyByHash(rc.env.DB, await sha256(key));
  if (!row) throw new ApiError('unauthorized', 'The API key is invalid, expired or revoked.');
  const verdict = await userActor(rc, row.userId).authorizeKey(row.id, rc.config.rateLimits.api);
  if (!verdict.ok) {
    if (verdict.error.type === 'rate_limited') applyRateLimit(rc, verdict.error.rate);
    throw new ApiError('unauthorized');
  }
  applyRateLimit(rc, verdict.value.rate);
  return {
    principal: { userId: row.userId, sessionId: null, scopes: row.scopes, via: 'api_key', amr: [], authTime: null },
    profile: verdict.value.profile,
  };
}
