/**
 * Whose account a verified provider identity opens: the user it is linked to (sign-in), the
 * signed-in user of a `link` flow, or a new account without a password (sign-up). An account
 * with the same email takes the identity only when this backend itself verified that email
 * (`email_verified_at`) and the provider says it is verified too; a provider's word alone
 * never merges, since anyone can sign up with an address they do not own.
 */
import { findByIdentity, insertConnection, storeTokens } from '../../core/db/oauth-accounts';
import {
  deleteUser,
  findUserByEmail,
  findUserById,
  insertUser,
  toProfile,
  type UserRow,
  updateUser,
} from '../../core/db/users';
import { randomId } from '../../core/encoding';
import type { Identity } from '../../core/oauth/identity';
import { sealTokens } from '../../core/oauth/sealing';
import type { ProviderTokens } from '../../core/oauth/tokens';
import type { PendingFlow } from '../../objects/oauth-state/api';
import { userActor } from '../auth/actor';
import { audit } from '../auth/audit';
import { emailLimit } from '../auth/email-link';
import { hook } from '../auth/hooks';
import { revokeAccess } from '../auth/revoke-access';
import type { RequestContext } from '../context';
import { ApiError, orFail } from '../errors';
import { emailTaken } from '../routes/auth';

export type Outcome = 'login' | 'signup' | 'link';

interface Input {
  flow: PendingFlow;
  provider: string;
  identity: Identity;
  tokens: ProviderTokens;
}

const takenElsewhere = () => new ApiError('conflict', 'This provider account is linked to another user.');
const SIGN_IN_FIRST = 'An account with this email exists: sign in to it, then connect this provider.';

/**
 * A verified merge: whatever was set up before the email was verified (sessions, API keys,
 * devices, a password) may be a squatter's, so it stops working; the owner is told.
 */
async function mergeVerified(rc: RequestContext, user: UserRow, verifiedAt: number, input: Input): Promise<UserRow> {
  // Revoke first: once linked, a later sign-in takes the linked path and never comes back here.
  const revoked = await revokeAccess(rc, user.id, { before: verifiedAt });
  const dropPassword = user.passwordHash !== null && (user.passwordSetAt ?? 0) < verifiedAt;
  const current = dropPassword ? ((await updateUser(rc.env.DB, user.id, { passwordHash: null })) ?? user) : user;
  await link(rc, user.id, input, 'verified_email');
  await userActor(rc, user.id).setProfile(toProfile(current));
  await audit(rc, user.id, 'oauth_merged', { provider: input.provider, ...revoked, password_removed: dropPassword });
  return current;
}

async function link(rc: RequestContext, userId: string, input: Input, via: string): Promise<void> {
  const sealed = await sealTokens(rc.config.dataKeys, userId, input.provider, input.tokens);
  const inserted = await insertConnection(rc.d1.primary(), {
    id: randomId(),
    userId,
    provider: input.provider,
    providerUserId: input.identity.subject,
    email: input.identity.email,
    emailVerified: input.identity.emailVerified,
    ...sealed,
    status: 'ok',
    lastRefreshedAt: Date.now(),
    createdAt: Date.now(),
  });
  orFail(inserted, { conflict: () => new ApiError('conflict', 'This account is already connected to this provider.') });
  await audit(rc, userId, 'oauth_linked', { provider: input.provider, via });
  await userActor(rc, userId).trackConnection(input.provider, sealed.refreshTokenEnc ? sealed.expiresAt : null);
}

async function refreshLink(rc: RequestContext, id: string, userId: string, input: Input): Promise<void> {
  const sealed = await sealTokens(rc.config.dataKeys, userId, input.provider, input.tokens);
  await storeTokens(rc.d1.primary(), id, {
    ...sealed,
    email: input.identity.email,
    emailVerified: input.identity.emailVerified,
  });
  await userActor(rc, userId).trackConnection(input.provider, sealed.refreshTokenEnc ? sealed.expiresAt : null);
}

/** A link flow acts for the session that started it, which must not have ended since. */
async function requireLiveSession(rc: RequestContext, flow: PendingFlow): Promise<string> {
  const { userId, sessionId } = flow;
  if (!userId || !sessionId) throw new ApiError('unauthorized');
  // The callback has no other authentication, so the API limit is counted here once.
  const verdict = await userActor(rc, userId).authorize(sessionId, rc.config.rateLimits.api);
  if (!verdict.ok) {
    if (verdict.error.type === 'rate_limited') throw new ApiError('rate_limited');
    throw new ApiError('unauthorized', 'The session has ended.');
  }
  return userId;
}

async function existingUser(rc: RequestContext, userId: string): Promise<UserRow> {
  const user = await findUserById(rc.env.DB, userId);
  if (!user) throw new ApiError('unauthorized', 'The account no longer exists.');
  return user;
}

export async function settleAccount(rc: RequestContext, input: Input): Promise<{ user: UserRow; outcome: Outcome }> {
  const { flow, identity } = input;
  const linked = await findByIdentity(rc.env.DB, input.provider, identity.subject);
  if (flow.intent === 'link') {
    const userId = await requireLiveSession(rc, flow);
    if (linked && linked.userId !== userId) throw takenElsewhere();
    if (linked) await refreshLink(rc, linked.id, userId, input);
    else await link(rc, userId, input, 'link');
    return { user: await existingUser(rc, userId), outcome: 'link' };
  }
  if (linked) {
    await refreshLink(rc, linked.id, linked.userId, input);
    return { user: await existingUser(rc, linked.userId), outcome: 'login' };
  }
  if (!identity.email) {
    throw new ApiError('invalid_request', 'The provider did not share an email address, which a new account needs.');
  }
  const sameEmail = await findUserByEmail(rc.env.DB, identity.email);
  if (sameEmail) {
    const verifiedAt = sameEmail.emailVerifiedAt;
    if (!identity.emailVerified || verifiedAt === null) throw new ApiError('conflict', SIGN_IN_FIRST);
    return { user: await mergeVerified(rc, sameEmail, verifiedAt, input), outcome: 'login' };
  }
  const now = Date.now();
  const user: UserRow = {
    id: randomId(),
    email: identity.email,
    emailVerified: identity.emailVerified,
    name: identity.name?.slice(0, 100) ?? null,
    passwordHash: null,
    passwordSetAt: null,
    emailVerifiedAt: null,
    mfaEnabled: false,
    createdAt: now,
    updatedAt: now,
  };
  orFail(await insertUser(rc.env.DB, user), { conflict: emailTaken });
  try {
    await link(rc, user.id, input, 'signup');
  } catch (error) {
    // A concurrent callback linked this identity first: leave no account without a way in.
    await deleteUser(rc.env.DB, user.id);
    throw error;
  }
  await audit(rc, user.id, 'signup', { method: 'oauth', provider: input.provider });
  await hook(rc, user.id, 'user.created', { email: user.email });
  // A provider's word never verifies the address here (§6): our own link does.
  await userActor(rc, user.id).sendLink('verify_email', user.email, { email: user.email }, emailLimit(rc));
  return { user, outcome: 'signup' };
}
