/** The user's actor, addressed by a verified user id (never by a client-chosen path). */
import type { RequestContext } from '../context';

export const userActor = (rc: RequestContext, userId: string) => rc.env.USER.getByName(userId);

export const clientInfo = (rc: RequestContext) => ({ ip: rc.ip, userAgent: rc.userAgent });
