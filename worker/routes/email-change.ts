/**
 * Changing the account's email address (DESIGN.md §8): under step-up, a confirmation link to
 * the new address and an undo link to the old one; the change applies on confirmation.
 */
import { disableTotpConfirmedSince } from '../../core/db/mfa';
import { unlinkAddedSince } from '../../core/db/oauth-accounts';
import { changeEmail, findUserByEmail, findUserById, toProfile } from '../../core/db/users';
import { ProfileOut, RevokedOut } from '../../core/schemas/auth';
import { ChangeEmail, LinkTokenBody } from '../../core/schemas/email';
import { ReauthRequiredOut, withStepUp } from '../../core/schemas/step-up';
import { userActor } from '../auth/actor';
import { audit } from '../auth/audit';
import { badLink, emailLimit, linkOwner } from '../auth/email-link';
import { hook } from '../auth/hooks';
import { refreshProfile } from '../auth/profile';
import { revokeAccess } from '../auth/revoke-access';
import { requireProofNow } from '../auth/step-up';
import { invalidField, orFail } from '../errors';
import { applyRateLimit } from '../http/rate-limit';
import { dropProviderTokens } from '../oauth/revoke';
import { route } from '../route';
import { emailTaken } from './auth';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export const emailChangeRoutes = [
  route({
    method: 'POST',
    path: '/v1/me/email',
    summary: 'Ask to change your email address: a confirmation to the new one, an undo link to the old one',
    tag: 'Account',
    access: 'user',
    scope: 'account',
    body: withStepUp(ChangeEmail),
    responses: {
      202: { description: 'The links are on their way; nothing changes until the new address confirms.' },
      401: {
        description:
          '`reauth_required`: the change needs `reauth` (the password or a code) when the account has either; else a recent sign-in.',
        schema: ReauthRequiredOut,
      },
      403: { description: 'An API key, or a wrong `reauth` proof.' },
      429: { description: 'The account’s `email` limit is spent.' },
    },
    async handle({ rc, body }) {
      const user = await requireProofNow(rc, body.reauth);
      if (same(user.email, body.new_email)) throw invalidField('new_email', 'is already your address');
      // An address of another account gets no mail, and the answer does not say so.
      const free = !(await findUserByEmail(rc.env.DB, body.new_email));
      const actor = userActor(rc, user.id);
      const sent = await actor.requestEmailChange(user.email, body.new_email, free, emailLimit(rc));
      if (!sent.ok) applyRateLimit(rc, sent.error.rate);
      await audit(rc, user.id, 'email_change_requested');
      return new Response(null, { status: 202 });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/auth/email/change',
    summary: 'Confirm a new email address with the token of the link sent to it',
    tag: 'Auth',
    access: 'public',
    ipLimit: 'auth',
    body: LinkTokenBody,
    responses: {
      200: { description: 'The account uses the new, verified address; the updated profile.', schema: ProfileOut },
      400: { description: 'The token is invalid, spent or expired, or the account’s address changed since.' },
      409: { description: 'Another account took the address in the meantime.' },
    },
    async handle({ rc, body, reply }) {
      const { userId, actor } = await linkOwner(rc, body.token);
      const link = await actor.spendChangeLink('email_change', body.token);
      if (!link) throw badLink();
      const row = orFail(await changeEmail(rc.env.DB, userId, link.email, link.newEmail, Date.now()), {
        conflict: emailTaken,
      });
      if (!row) throw badLink();
      const profile = toProfile(row);
      await actor.setProfile(profile);
      await audit(rc, userId, 'email_changed');
      await hook(rc, userId, 'email.changed', { email: row.email });
      return reply(200, profile);
    },
  }),
  route({
    method: 'POST',
    path: '/v1/auth/email/change/undo',
    summary: 'Undo an email change with the token sent to the old address; every session, key and device is revoked',
    tag: 'Auth',
    access: 'public',
    ipLimit: 'auth',
    body: LinkTokenBody,
    responses: {
      200: { description: 'The old address is back (or stays), verified; what was revoked.', schema: RevokedOut },
      400: { description: 'The token is invalid, spent or expired.' },
      409: { description: 'Another account took the old address in the meantime.' },
    },
    async handle({ rc, body, reply }) {
      const { userId, actor } = await linkOwner(rc, body.token);
      const spent = await actor.spendUndoLink(body.token);
      const link = spent?.data;
      const user = link ? await findUserById(rc.env.DB, userId) : undefined;
      if (!spent || !link || !user) throw badLink();
      // From wherever the address went since (a second change must not strand the owner).
      if (!same(user.email, link.email)) {
        const row = orFail(await changeEmail(rc.env.DB, userId, user.email, link.email, Date.now()), {
          conflict: emailTaken,
        });
        if (!row) throw badLink();
        await actor.setProfile(toProfile(row));
        await hook(rc, userId, 'email.changed', { email: row.email });
      }
      // Whoever asked for the change held a session: none survives.
      await actor.voidLinks('email_change');
      const revoked = {
        ...(await revokeAccess(rc, userId, {})),
        connections_revoked: await dropProviderTokens(rc, userId),
      };
      // Ways in added since the undone change was asked for may be the taker's: they go too.
      const unlinked = await unlinkAddedSince(rc.env.DB, userId, spent.issuedAt);
      const mfaOff = await disableTotpConfirmedSince(rc.env.DB, userId, spent.issuedAt);
      if (mfaOff) await refreshProfile(rc, userId);
      await audit(rc, userId, 'email_change_undone', { ...revoked, unlinked, mfa_disabled: mfaOff });
      return reply(200, revoked);
    },
  }),
];
