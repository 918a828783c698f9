/** The caller's profile: the actor's cached copy, or D1 once when the actor has none yet. */
import { findUserById, type Profile, toProfile } from '../../core/db/users';
import type { RequestContext, SignedInContext } from '../context';
import { ApiError } from '../errors';
import { userActor } from './actor';

export async function currentProfile(rc: SignedInContext): Promise<Profile> {
  if (rc.profile) return rc.profile;
  const userId = rc.principal.userId;
  const row = await findUserById(rc.env.DB, userId);
  if (!row) throw new ApiError('unauthorized');
  const profile = toProfile(row);
  await userActor(rc, userId).setProfile(profile);
  return profile;
}

/** Keeps the actor's cached profile in step with a change in D1 (`mfa_enabled`, the email). */
export async function refreshProfile(rc: RequestContext, userId: string): Promise<void> {
  const row = await findUserById(rc.env.DB, userId);
  if (row) await userActor(rc, userId).setProfile(toProfile(row));
}
