/**
 * The provider's callback, once its state has been taken: the code traded (with the PKCE
 * verifier) for tokens, the identity read, the account settled, and the browser sent back
 * with a one-time login code (and, in cookie mode, the session cookies). A `link` flow's user
 * is already signed in: it gets `linked=PROVIDER` and no code, which would open a new session
 * for whoever finished the flow.
 */
import { toProfile, type UserRow } from '../../core/db/users';
import { signAccessToken } from '../../core/jwt';
import { exchangeTokens } from '../../core/oauth/exchange';
import { guarded } from '../../core/oauth/guard';
import { exchangeCode } from '../../core/oauth/tokens';
import type { PendingFlow } from '../../objects/oauth-state/api';
import { clientInfo, userActor } from '../auth/actor';
import { audit } from '../auth/audit';
import { sessionCookies } from '../auth/cookies';
import type { RequestContext } from '../context';
import { ApiError } from '../errors';
import { settleAccount } from './account';
import { readIdentity } from './identity';
import { providerFor } from './provider';
import { redirect, withParams } from './redirect';

export interface CallbackParams {
  code?: string | undefined;
  error?: string | undefined;
}

async function signIn(
  rc: RequestContext,
  flow: PendingFlow,
  user: UserRow,
  provider: string,
  back: URL,
): Promise<Response> {
  const profile = toProfile(user);
  const actor = userActor(rc, user.id);
  const code = await actor.issueLoginCode(profile, provider);
  const headers = new Headers();
  // Cookie mode opens the session here, unless a second factor must come first (the code's exchange asks for it).
  if (flow.mode === 'cookie' && flow.intent === 'login' && !profile.mfa_enabled) {
    const session = await actor.openOAuthSession(profile, clientInfo(rc));
    const accessToken = await signAccessToken(rc.config.jwt, {
      sub: user.id,
      sid: session.sessionId,
      amr: session.amr,
      auth_time: Math.floor(session.authTime / 1000),
    });
    for (const cookie of sessionCookies(accessToken, session.refreshToken)) headers.append('set-cookie', cookie);
    await audit(rc, user.id, 'login_succeeded', { method: 'oauth', provider, session_id: session.sessionId });
  }
  return redirect(withParams(back, { login_code: code }), headers);
}

export async function completeCallback(
  rc: RequestContext,
  flow: PendingFlow,
  params: CallbackParams,
  back: URL,
): Promise<Response> {
  if (params.error) throw new ApiError('unauthorized', 'The provider did not grant access.');
  if (!params.code) throw new ApiError('invalid_request', 'The provider sent no authorization code.');
  const provider = await providerFor(rc, flow.provider);
  const input = { code: params.code, verifier: flow.verifier, redirectUri: flow.callbackUrl, nonce: flow.nonce };
  // A code works once: retried only when the provider answered 5xx or 429, never after a timeout,
  // when it may have spent the code already.
  const tokens = await guarded(
    provider.name,
    () => exchangeCode(provider, input),
    (error) => error.type === 'unavailable' && error.status !== null,
  );
  if (!tokens.ok) {
    if (tokens.error.type === 'unavailable')
      throw new ApiError('upstream_unavailable', 'The sign-in provider is unavailable.');
    throw new ApiError('unauthorized', 'The provider refused the code, or its ID token did not verify.');
  }
  const codeTokens = tokens.value;
  // Before the identity is read and anything is stored: the tokens kept are the traded ones.
  const traded = provider.tokenExchange
    ? await guarded(provider.name, () => exchangeTokens(provider, codeTokens))
    : tokens;
  if (!traded.ok) {
    if (traded.error.type === 'unavailable')
      throw new ApiError('upstream_unavailable', 'The sign-in provider is unavailable.');
    throw new ApiError('unauthorized', 'The provider refused to exchange the token.');
  }
  const identity = await readIdentity(provider, traded.value);
  const { user } = await settleAccount(rc, { flow, provider: provider.name, identity, tokens: traded.value });
  if (flow.intent === 'link') return redirect(withParams(back, { linked: provider.name }));
  return signIn(rc, flow, user, provider.name, back);
}
