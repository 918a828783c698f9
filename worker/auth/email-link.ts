/** The edge's side of emailed links: the actor a link's token routes to, and the one answer for a bad link. */
import { userIdOf } from '../../core/user-token';
import type { RequestContext } from '../context';
import { invalidField } from '../errors';
import { knownUserActor } from './actor';

/** 400 for a link token that is malformed, unknown, spent, expired, or for an address the account left. */
export const badLink = () => invalidField('token', 'is invalid or expired');

/** The user a link token belongs to and their actor; 400 for a token of no known user. */
export async function linkOwner(rc: RequestContext, token: string) {
  const userId = userIdOf(token);
  const actor = userId ? await knownUserActor(rc, userId) : null;
  if (!userId || !actor) throw badLink();
  return { userId, actor };
}

/** The per-account (and, on public routes, per-IP) limit of emails sent on request. */
export const emailLimit = (rc: RequestContext) => rc.config.rateLimits.email;
