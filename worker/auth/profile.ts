/** The caller's profile: the actor's cached copy, or D1 once when the actor has none yet. */
import { findUserById, type Profile, toProfile } from '../../core/db/users';
import type { RequestContext } from '../context';
import { ApiError } from '../errors';
import { userActor } from './actor';

export async function currentProfile(rc: RequestContext): Promise<Profile> {
  if (rc.profile) return rc.profile;
  const userId = rc.principal?.userId;
  const row = userId ? await findUserById(rc.env.DB, userId) : undefined;
  if (!row || !userId) throw new ApiError('unauthorized');
  const profile = toProfile(row);
  await userActor(rc, userId).setProfile(profile);
  return profile;
}

/** The signed-in user's id; routes with `access: 'user'` always have one. */
export function callerId(rc: RequestContext): string {
  if (!rc.principal) throw new Error('route without authentication asked for the caller');
  return rc.principal.userId;
}
