/**
 * Binds an authorization flow to the browser that started it: `start` sets `__Host-oauth_flow`
 * (256 random bits) and keeps only its SHA-256 in the flow; the callback must present the
 * cookie, so a `state` planted in someone else's browser (login or link CSRF) is refused.
 */
import { parse, serialize } from 'cookie';
import { fromBase64url, randomId, sha256 } from '../../core/encoding';
import { OAUTH_STATE_TTL_MS } from '../../objects/oauth-state';

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

/** True when the request carries the cookie whose digest the flow kept (compared in constant time). */
export async function presentsFlowCookie(request: Request, hash: string): Promise<boolean> {
  const header = request.headers.get('cookie');
  const value = header ? parse(header)[FLOW_COOKIE] : undefined;
  const expected = fromBase64url(hash);
  if (!value || !expected) return false;
  const actual = fromBase64url(await sha256(value));
  return !!actual && actual.length === expected.length && crypto.subtle.timingSafeEqual(actual, expected);
}
