/** Operations that re-confirm the caller's password (password change, erasure, turning MFA off). */
import { findUserById } from '../../core/db/users';
import { verifyPassword } from '../../core/password';
import type { RequestContext } from '../context';
import { ApiError } from '../errors';
import { userActor } from './actor';
import { audit } from './audit';
import { locked, passwordPolicy } from './lockout';
import { callerId } from './profile';

const RECENT_SIGN_IN_MS = 10 * 60 * 1000;

/**
 * The caller's row when `password` is theirs; 403 naming `field` otherwise. Re-checks count
 * in the same lockout as sign-ins, so a stolen session cannot guess the password freely. An
 * account without a password (signed up through OAuth) proves itself by a sign-in of the
 * last 10 minutes instead.
 */
export async function requirePassword(rc: RequestContext, password: string | undefined, field: string) {
  const userId = callerId(rc);
  const user = await findUserById(rc.env.DB, userId);
  if (!user) throw new ApiError('unauthorized');
  if (!user.passwordHash) {
    const issuedAt = rc.principal?.issuedAt ?? 0;
    if (Date.now() - issuedAt > RECENT_SIGN_IN_MS) {
      throw new ApiError('forbidden', 'Sign in again to do this.', {
        details: [{ path: field, message: 'needs a recent sign-in' }],
      });
    }
    return user;
  }
  if (password === undefined) {
    throw new ApiError('invalid_request', 'The request has invalid fields.', {
      details: [{ path: field, message: 'is required' }],
    });
  }
  const actor = userActor(rc, userId);
  const attempt = await actor.beginLogin(passwordPolicy(rc));
  if (attempt.locked) throw locked(attempt.retryAfterS);
  if (!verifyPassword(password, user.passwordHash)) {
    await audit(rc, userId, 'login_failed', { reason: 'password_recheck' });
    if (attempt.locksIfWrong) await audit(rc, userId, 'account_locked');
    throw new ApiError('forbidden', 'The password is wrong.', { details: [{ path: field, message: 'is wrong' }] });
  }
  await actor.passwordConfirmed();
  return user;
}
