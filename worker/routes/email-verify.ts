/** Verifying the account's email address with an emailed link (DESIGN.md §3, email). */
import { findUserById, markEmailVerified, toProfile } from '../../core/db/users';
import { ProfileOut } from '../../core/schemas/auth';
import { LinkTokenBody } from '../../core/schemas/email';
import { userActor } from '../auth/actor';
import { audit } from '../auth/audit';
import { badLink, emailLimit, linkOwner } from '../auth/email-link';
import { hook } from '../auth/hooks';
import { ApiError } from '../errors';
import { applyRateLimit } from '../http/rate-limit';
import { route } from '../route';

export const emailVerifyRoutes = [
  route({
    method: 'POST',
    path: '/v1/me/email/verify',
    summary: 'Send the link that verifies your email address again',
    tag: 'Account',
    access: 'user',
    scope: 'account',
    responses: {
      202: { description: 'A new link is on its way (24 h, single use); earlier ones still work until used.' },
      409: { description: 'The address is verified already.' },
      429: { description: 'The account’s `email` limit is spent.' },
    },
    async handle({ rc }) {
      const user = await findUserById(rc.env.DB, rc.principal.userId);
      if (!user) throw new ApiError('unauthorized');
      if (user.emailVerifiedAt !== null) throw new ApiError('conflict', 'Your email address is verified already.');
      const actor = userActor(rc, user.id);
      const sent = await actor.sendLink('verify_email', user.email, { email: user.email }, emailLimit(rc));
      if (!sent.ok) applyRateLimit(rc, sent.error.rate);
      await audit(rc, user.id, 'email_verification_sent');
      return new Response(null, { status: 202 });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/auth/email/verify',
    summary: 'Confirm your email address with the token of an emailed link',
    tag: 'Auth',
    access: 'public',
    ipLimit: 'auth',
    body: LinkTokenBody,
    responses: {
      200: { description: 'Verified; the updated profile.', schema: ProfileOut },
      400: { description: 'The token is invalid, spent, expired, or for an address the account no longer has.' },
    },
    async handle({ rc, body, reply }) {
      const { userId, actor } = await linkOwner(rc, body.token);
      const link = await actor.spendLink('verify_email', body.token);
      if (!link) throw badLink();
      const row = await markEmailVerified(rc.env.DB, userId, link.email, Date.now());
      if (!row) throw badLink();
      const profile = toProfile(row);
      await actor.setProfile(profile);
      await audit(rc, userId, 'email_verified');
      await hook(rc, userId, 'email.verified', { email: row.email });
      return reply(200, profile);
    },
  }),
];
