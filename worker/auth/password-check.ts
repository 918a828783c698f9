/** One check of a signed-in user's password, counted in the same lockout as sign-ins. */
import type { UserRow } from '../../core/db/users';
import { verifyPassword } from '../../core/password';
import type { RequestContext } from '../context';
import { ApiError } from '../errors';
import { userActor } from './actor';
import { audit } from './audit';
import { locked, passwordPolicy } from './lockout';

/** Passes when `password` is the account's; 423 while locked; 403 naming `field` when wrong. */
export async function checkPassword(rc: RequestContext, user: UserRow, password: string, field: string): Promise<void> {
  if (!user.passwordHash) throw new Error('checkPassword on an account without a password');
  const actor = userActor(rc, user.id);
  const attempt = await actor.beginLogin(passwordPolicy(rc));
  if (attempt.locked) throw locked(attempt.retryAfterS);
  if (!verifyPassword(password, user.passwordHash)) {
    await audit(rc, user.id, 'login_failed', { reason: 'password_recheck' });
    if (attempt.locksIfWrong) await audit(rc, user.id, 'account_locked');
    throw new ApiError('forbidden', 'The password is wrong.', { details: [{ path: field, message: 'is wrong' }] });
  }
  await actor.passwordConfirmed();
}
