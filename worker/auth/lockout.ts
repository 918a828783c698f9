/** The lockout policies and their answer: 423 with `retry-after`. */
import { sha256 } from '../../core/encoding';
import type { Window } from '../../core/rate-limit';
import type { RequestContext } from '../context';
import { ApiError } from '../errors';

export const locked = (retryAfterS: number) =>
  new ApiError('account_locked', undefined, { headers: { 'retry-after': String(retryAfterS) } });

/**
 * The lockout of an email that has no account (or no password), in the limiter actor named by
 * its hash: it locks as an account would, so a 423 does not tell that the account exists.
 */
export async function unknownEmailGuard(rc: RequestContext, email: string) {
  // Lower-cased as D1's lower() does, so every spelling the login query matches shares a count.
  return rc.env.LIMITER.getByName(`email:${await sha256(email.toLowerCase())}`);
}

/** Passwords: the `lockout` bucket (5 failures in a row, 30 min). */
export const passwordPolicy = (rc: RequestContext): Window => rc.config.rateLimits.lockout;

/**
 * Second-factor codes: twice the password limit, since one mfa_token alone allows 5 tries;
 * counted across every token and signed-in check, so fresh tokens buy no new guesses.
 */
export const factorPolicy = (rc: RequestContext): Window => ({
  limit: rc.config.rateLimits.lockout.limit * 2,
  window_s: rc.config.rateLimits.lockout.window_s,
});
