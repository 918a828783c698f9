/**
 * A forgotten password (DESIGN.md §3, email): a link by email, then a new password that closes
 * every other way into the account. The request answers the same whether the email exists.
 */

import { findUserByEmail, findUserById, updateUser } from '../../core/db/users';
import { describeError, log } from '../../core/log';
import { hashPassword } from '../../core/password';
import { RevokedOut } from '../../core/schemas/auth';
import { ForgotPassword, ResetPassword } from '../../core/schemas/email';
import { userActor } from '../auth/actor';
import { audit } from '../auth/audit';
import { badLink, emailLimit, linkOwner } from '../auth/email-link';
import { revokeAccess } from '../auth/revoke-access';
import type { RequestContext } from '../context';
import { dropProviderTokens } from '../oauth/revoke';
import { route } from '../route';
import { requireAcceptablePassword } from './auth';

/** Sends the link when the account exists and its `email` limit allows; nothing tells the caller which. */
async function sendResetLink(rc: RequestContext, email: string): Promise<void> {
  const user = await findUserByEmail(rc.env.DB, email);
  if (!user) return;
  const sent = await userActor(rc, user.id).sendLink(
    'password_reset',
    user.email,
    { email: user.email },
    emailLimit(rc),
  );
  if (sent.ok) await audit(rc, user.id, 'password_reset_requested');
}

export const passwordResetRoutes = [
  route({
    method: 'POST',
    path: '/v1/auth/password/forgot',
    summary: 'Email a password reset link, if an account has this address',
    tag: 'Auth',
    access: 'public',
    ipLimit: 'email',
    body: ForgotPassword,
    responses: {
      202: { description: 'Always, whether or not an account has this address (30 min link, single use).' },
    },
    handle({ rc, body }) {
      // After the answer, so its timing does not tell whether the account exists.
      rc.exec.waitUntil(
        sendResetLink(rc, body.email).catch((error) =>
          log('error', 'password reset link not sent', { request_id: rc.requestId, ...describeError(error) }),
        ),
      );
      return new Response(null, { status: 202 });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/auth/password/reset',
    summary: 'Set a new password with the token of a reset link; every session, API key and device is revoked',
    tag: 'Auth',
    access: 'public',
    ipLimit: 'auth',
    body: ResetPassword,
    responses: {
      200: { description: 'The password is set, the lockout cleared; what was revoked.', schema: RevokedOut },
      400: { description: 'The token is invalid, spent or expired, or the password is not acceptable.' },
    },
    async handle({ rc, body, reply }) {
      const { userId, actor } = await linkOwner(rc, body.token);
      const link = await actor.peekLink('password_reset', body.token);
      const user = link ? await findUserById(rc.env.DB, userId) : undefined;
      if (!link || user?.email.toLowerCase() !== link.email.toLowerCase()) throw badLink();
      // Judged before the token is spent, so a refused password leaves the link usable.
      await requireAcceptablePassword(body.new_password, 'new_password', user);
      if (!(await actor.spendLink('password_reset', body.token))) throw badLink();
      await updateUser(rc.env.DB, userId, { passwordHash: hashPassword(body.new_password), passwordSetAt: Date.now() });
      // Sign out everywhere, provider tokens included (revoked at the provider after the answer).
      const revoked = {
        ...(await revokeAccess(rc, userId, {})),
        connections_revoked: await dropProviderTokens(rc, userId),
      };
      await actor.passwordReset(user.email);
      await audit(rc, userId, 'password_reset', { ...revoked });
      return reply(200, revoked);
    },
  }),
];
