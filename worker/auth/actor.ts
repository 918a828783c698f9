/** The user's actor, addressed by a verified user id (never by a client-chosen path). */
import { userExists } from '../../core/db/users';
import type { RequestContext } from '../context';

export const userActor = (rc: RequestContext, userId: string) => rc.env.USER.getByName(userId);

/**
 * The actor of a user id read from a client's token prefix (refresh token, mfa_token, login
 * code), after one D1 read: a made-up prefix must not bring a new actor into existence.
 */
export async function knownUserActor(rc: RequestContext, userId: string) {
  return (await userExists(rc.env.DB, userId)) ? userActor(rc, userId) : null;
}

export const clientInfo = (rc: RequestContext) => ({ ip: rc.ip, userAgent: rc.userAgent });
