/** Sign-up, sign-in, refresh, sign-out and the verification keys (DESIGN.md §3). */
import { findUserByEmail, insertUser, toProfile, updateUser } from '../../core/db/users';
import { randomId } from '../../core/encoding';
import { publicJwks } from '../../core/jwt';
import { hashPassword, needsRehash, verifyDecoy, verifyPassword } from '../../core/password';
import { type PasswordContext, passwordProblem } from '../../core/password-policy';
import { CookieMode, JwksOut, Login, Refresh, Signup, TokensOut } from '../../core/schemas/auth';
import { userIdOf } from '../../core/user-token';
import { clientInfo, knownUserActor, userActor } from '../auth/actor';
import { audit } from '../auth/audit';
import { requireTrustedOrigin } from '../auth/authenticate';
import { clearedCookies, REFRESH_COOKIE, readCookie } from '../auth/cookies';
import { emailLimit } from '../auth/email-link';
import { hook } from '../auth/hooks';
import { tokensResponse } from '../auth/issue';
import { locked, passwordPolicy, unknownEmailGuard } from '../auth/lockout';
import { recordSignIn, recordUnknownEmailLockout } from '../auth/security-metrics';
import { ApiError, invalidField, orFail } from '../errors';
import { noContent, route } from '../route';

const BAD_CREDENTIALS = 'The email or password is wrong.';
export const emailTaken = () => new ApiError('conflict', 'An account with this email already exists.');
const badRefreshToken = () => new ApiError('unauthorized', 'The refresh token is invalid.');

/** 400 naming `field` and the reason when `password` may not become the account's password. */
export async function requireAcceptablePassword(
  password: string,
  field: string,
  account: PasswordContext,
): Promise<void> {
  const problem = await passwordProblem(password, account);
  if (problem) {
    throw new ApiError('invalid_request', 'The password is not acceptable.', {
      details: [{ path: field, message: problem }],
    });
  }
}

export const authRoutes = [
  route({
    method: 'POST',
    path: '/v1/auth/signup',
    summary: 'Create an account and sign in',
    tag: 'Auth',
    access: 'public',
    ipLimit: 'auth',
    body: Signup,
    query: CookieMode,
    responses: {
      201: { description: 'The account and its first session.', schema: TokensOut },
      409: { description: 'An account with this email exists.' },
    },
    async handle({ rc, body, query }) {
      await requireAcceptablePassword(body.password, 'password', { email: body.email, name: body.name });
      const now = Date.now();
      const row = {
        id: randomId(),
        email: body.email,
        name: body.name ?? null,
        passwordHash: hashPassword(body.password),
        passwordSetAt: now,
        emailVerified: false,
        emailVerifiedAt: null,
        mfaEnabled: false,
        createdAt: now,
        updatedAt: now,
      };
      orFail(await insertUser(rc.env.DB, row), { conflict: emailTaken });
      const profile = toProfile(row);
      const actor = userActor(rc, row.id);
      const session = await actor.loginSucceeded(profile, clientInfo(rc), ['pwd']);
      await actor.sendLink('verify_email', row.email, { email: row.email }, emailLimit(rc));
      await audit(rc, row.id, 'signup');
      await hook(rc, row.id, 'user.created', { email: row.email });
      return tokensResponse(rc, profile, session, query.mode, 201);
    },
  }),
  route({
    method: 'POST',
    path: '/v1/auth/login',
    summary: 'Sign in with email and password',
    tag: 'Auth',
    access: 'public',
    ipLimit: 'auth',
    body: Login,
    query: CookieMode,
    responses: {
      200: { description: 'A new session.', schema: TokensOut },
      401: { description: 'Wrong email or password, or `mfa_required` with an `mfa_token`.' },
      423: { description: 'Locked after repeated failures; `retry-after` says for how long.' },
    },
    async handle({ rc, body, query }) {
      const user = await findUserByEmail(rc.env.DB, body.email);
      if (!user?.passwordHash) {
        const attempt = await (await unknownEmailGuard(rc, body.email)).beginLogin(passwordPolicy(rc));
        if (attempt.locked) {
          recordSignIn(rc, 'password', 'locked');
          throw locked(attempt.retryAfterS);
        }
        verifyDecoy(body.password);
        recordSignIn(rc, 'password', 'failed');
        if (attempt.locksIfWrong) recordUnknownEmailLockout(rc);
        throw new ApiError('unauthorized', BAD_CREDENTIALS);
      }
      const actor = userActor(rc, user.id);
      const attempt = await actor.beginLogin(passwordPolicy(rc));
      if (attempt.locked) {
        recordSignIn(rc, 'password', 'locked');
        throw locked(attempt.retryAfterS);
      }
      if (!verifyPassword(body.password, user.passwordHash)) {
        // Bookkeeping after the answer, so a wrong password costs what an unknown email costs.
        rc.exec.waitUntil(
          (async () => {
            await audit(rc, user.id, 'login_failed', { reason: 'password' });
            if (attempt.locksIfWrong) await audit(rc, user.id, 'account_locked');
          })(),
        );
        throw new ApiError('unauthorized', BAD_CREDENTIALS);
      }
      const current = needsRehash(user.passwordHash)
        ? ((await updateUser(rc.env.DB, user.id, { passwordHash: hashPassword(body.password) })) ?? user)
        : user;
      if (current.mfaEnabled) {
        const mfaToken = await actor.startMfa();
        await audit(rc, user.id, 'mfa_challenged');
        throw new ApiError('mfa_required', undefined, { body: { mfa_token: mfaToken } });
      }
      const session = await actor.loginSucceeded(toProfile(current), clientInfo(rc), ['pwd']);
      await audit(rc, user.id, 'login_succeeded');
      return tokensResponse(rc, toProfile(current), session, query.mode);
    },
  }),
  route({
    method: 'POST',
    path: '/v1/auth/refresh',
    summary: 'Trade a refresh token for a new pair; the old one is spent',
    tag: 'Auth',
    access: 'public',
    ipLimit: 'refresh',
    body: Refresh,
    bodyOptional: true,
    query: CookieMode,
    responses: {
      200: { description: 'A new access and refresh token.', schema: TokensOut },
      401: { description: 'Unknown, expired or spent token; reuse of a spent token revokes its session.' },
    },
    async handle({ request, rc, body, query }) {
      let token = body.refresh_token ?? null;
      if (!token && query.mode === 'cookie') {
        requireTrustedOrigin(request, rc);
        token = readCookie(request, REFRESH_COOKIE);
      }
      if (!token) {
        throw invalidField('refresh_token', 'is required');
      }
      const userId = userIdOf(token);
      if (!userId) throw badRefreshToken();
      const actor = await knownUserActor(rc, userId);
      if (!actor) throw badRefreshToken();
      const result = await actor.refresh(token, clientInfo(rc));
      if (!result.ok) {
        if (result.error.type === 'reused') {
          await audit(rc, userId, 'refresh_reuse_detected', { session_id: result.error.sessionId });
        }
        throw badRefreshToken();
      }
      const { profile, ...session } = result.value;
      if (!profile) throw badRefreshToken();
      return tokensResponse(rc, profile, session, query.mode);
    },
  }),
  route({
    method: 'POST',
    path: '/v1/auth/logout',
    summary: 'Revoke the current session',
    tag: 'Auth',
    access: 'user',
    scope: 'account',
    responses: { 204: { description: 'The session is revoked; its tokens stop working at once.' } },
    async handle({ rc }) {
      const userId = rc.principal.userId;
      const sessionId = rc.principal.sessionId;
      if (sessionId) {
        await userActor(rc, userId).revokeSession(sessionId);
        await audit(rc, userId, 'logout', { session_id: sessionId });
      }
      const headers = new Headers();
      for (const cookie of clearedCookies()) headers.append('set-cookie', cookie);
      return noContent(headers);
    },
  }),
  route({
    method: 'GET',
    path: '/.well-known/jwks.json',
    summary: 'Public keys that verify access tokens',
    tag: 'Auth',
    access: 'public',
    responses: { 200: { description: 'A JWK set; `kid` names each key.', schema: JwksOut } },
    handle: ({ rc, reply }) => reply(200, publicJwks(rc.config.jwt), { 'cache-control': 'public, max-age=300' }),
  }),
];
