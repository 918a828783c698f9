/**
 * Binds an authorization flow to the browser that started it: `start` sets `__Host-oauth_flow`
 * (256 random bits) and keeps only its SHA-256 in the flow; the callback must present the
 * cookie, so a `state` planted in someone else's browser (login or link CSRF) is refused.
 */
import { serialize } from 'cookie';
import { fromBase64url, randomId, sha256 } from '../../core/encoding';
import { OAUTH_STATE_TTL_MS } from '../../objects/oauth-state/api';
import { readCookie } from '../auth/cookies';

export const FLOW_COOKIE = '__Host-oauth_flow';

const base = { httpOnly: true, secure: true, sameSite: 'lax', path: '/' } as const;

/** A new binding: the Set-Cookie header for the browser and the digest for the flow. */
export async function newFlowBinding(): Promise<{ cookie: string; hash: string }> {
  const value = randomId(32);
  return {
    cookie: serialize(FLOW_COOKIE, value, { ...base, maxAge: OAUTH_STATE_TTL_MS / 1000 }),
    hash: await sha256(value),
  };
}

/** The Set-Cookie header that removes the binding, sent with every callback answer. */
export const clearedFlowCookie = (): string => serialize(FLOW_COOKIE, '', { ...base, maxAge: 0 });

/** The binding the browser sent back, if any. */
export const flowCookieOf = (request: Request): string | null => readCookie(request, FLOW_COOKIE);

/** True when `value` is the cookie whose digest the flow kept (digests compared in constant time). */
export async function matchesFlow(value: string, hash: string): Promise<boolean> {
  const expected = fromBase64url(hash);
  const actual = fromBase64url(await sha256(value));
  return !!expected && !!actual && actual.length === expected.length && crypto.subtle.timingSafeEqual(actual, expected);
}
