/** Operations that re-confirm the caller's password (password change, erasure, turning MFA off). */
import { findUserById, type UserRow } from '../../core/db/users';
import type { StepUpProof } from '../../core/schemas/step-up';
import type { SignedInContext } from '../context';
import { ApiError, invalidField } from '../errors';
import { checkPassword } from './password-check';
import { requireStepUp } from './step-up';

/**
 * The caller's row when `password` is theirs; 403 naming `field` otherwise. A password account
 * always confirms its password here, however recent its sign-in. An account without a password
 * (signed up through OAuth) takes the step-up rule instead: a recent sign-in, or `reauth.code`
 * when MFA is on.
 */
export async function requirePassword(
  rc: SignedInContext,
  password: string | undefined,
  field: string,
  reauth?: StepUpProof,
): Promise<UserRow> {
  const user = await findUserById(rc.env.DB, rc.principal.userId);
  if (!user) throw new ApiError('unauthorized');
  if (!user.passwordHash) return requireStepUp(rc, reauth);
  if (password === undefined) {
    throw invalidField(field, 'is required');
  }
  await checkPassword(rc, user, password, field);
  return user;
}
