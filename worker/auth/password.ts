/** Operations that re-confirm the caller's password (password change, erasure, turning MFA off). */
import { findUserById } from '../../core/db/users';
import { verifyPassword } from '../../core/password';
import type { RequestContext } from '../context';
import { ApiError } from '../errors';
import { callerId } from './profile';

/** The caller's row when `password` is theirs; 403 naming `field` otherwise. */
export async function requirePassword(rc: RequestContext, password: string, field: string) {
  const user = await findUserById(rc.env.DB, callerId(rc));
  if (!user) throw new ApiError('unauthorized');
  if (!user.passwordHash || !verifyPassword(password, user.passwordHash)) {
    throw new ApiError('forbidden', 'The password is wrong.', { details: [{ path: field, message: 'is wrong' }] });
  }
  return user;
}
