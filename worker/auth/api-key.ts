/**
 * API keys as bearer credentials: `dbk_` and 256 random bits. D1 keeps the SHA-256 and a
 * visible prefix; a lookup per request makes revocation immediate, while use counts are kept
 * by the user's actor and written to D1 later, off the request's path.
 */
import { findKeyByHash } from '../../core/db/api-keys';
import { randomId, sha256 } from '../../core/encoding';
import type { Principal, RequestContext } from '../context';
import { ApiError } from '../errors';

export const API_KEY_PREFIX = 'dbk_';
const PREFIX_LENGTH = 12;

export const isApiKey = (token: string): boolean => token.startsWith(API_KEY_PREFIX);

export async function newApiKey(): Promise<{ key: string; hash: string; prefix: string }> {
  const key = `${API_KEY_PREFIX}${randomId(32)}`;
  return { key, hash: await sha256(key), prefix: key.slice(0, PREFIX_LENGTH) };
}

/** The principal an API key names (its row in D1); its user's actor still has to admit it. */
export async function identifyApiKey(key: string, rc: RequestContext): Promise<Principal> {
  const row = await findKeyByHash(rc.env.DB, await sha256(key));
  if (!row) throw new ApiError('unauthorized', 'The API key is invalid, expired or revoked.');
  return {
    userId: row.userId,
    sessionId: null,
    keyId: row.id,
    scopes: row.scopes,
    via: 'api_key',
    amr: [],
    authTime: null,
  };
}
