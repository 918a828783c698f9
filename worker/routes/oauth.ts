/** OAuth sign-in: start a flow, the provider's callback, and the login-code exchange (DESIGN.md §6). */

import { newAuthorizationSecrets } from '../../core/oauth/pkce';
import { CookieMode, TokensOut } from '../../core/schemas/auth';
import { CallbackQuery, Exchange, ProviderParams, StartQuery } from '../../core/schemas/oauth';
import { userIdOf } from '../../core/user-token';
import { clientInfo, knownUserActor } from '../auth/actor';
import { audit } from '../auth/audit';
import { authenticate } from '../auth/authenticate';
import { tokensResponse } from '../auth/issue';
import { requireLinkProof } from '../auth/step-up';
import { ApiError, invalidField } from '../errors';
import { validate } from '../http/body';
import { completeCallback } from '../oauth/callback';
import { clearedFlowCookie, flowCookieOf, matchesFlow, newFlowBinding } from '../oauth/flow-cookie';
import { providerFor } from '../oauth/provider';
import { allowedRedirect, redirect, withParams } from '../oauth/redirect';
import { route } from '../route';

const BAD_CODE = 'The login code is invalid, used or expired.';
const UNKNOWN_FLOW = 'The sign-in attempt is unknown, used or expired: start again.';
const OTHER_BROWSER = 'The sign-in attempt was not started in this browser: start it here.';

export const oauthRoutes = [
  route({
    method: 'GET',
    path: '/v1/oauth/:provider/start',
    summary: 'Start signing in (or linking) with a provider: redirects to it',
    tag: 'OAuth',
    access: 'public',
    ipLimit: 'auth',
    query: StartQuery,
    responses: {
      302: {
        description:
          'To the provider, with `state`, `nonce` (OIDC) and a PKCE S256 challenge; sets the `__Host-oauth_flow` cookie that binds the flow to this browser.',
      },
      401: {
        description:
          '`intent=link` without a signed-in session; or `reauth_required` when the session has not signed in (a password account: proved its password) in the last 10 minutes: `POST /v1/auth/reauth` first.',
      },
      403: { description: '`intent=link` with an API key.' },
      404: { description: 'No such provider is configured.' },
    },
    async handle({ request, rc, params, query }) {
      const { provider: name } = validate(ProviderParams, params);
      if (!allowedRedirect(rc, query.redirect_to)) {
        throw invalidField('redirect_to', 'is not an allowed redirect origin');
      }
      let userId: string | null = null;
      let sessionId: string | null = null;
      if (query.intent === 'link') {
        const { principal } = await authenticate(request, rc);
        if (principal.via === 'api_key')
          throw new ApiError('forbidden', 'Linking a provider needs a signed-in session.');
        rc.principal = principal;
        await requireLinkProof(rc, principal);
        userId = principal.userId;
        sessionId = principal.sessionId;
      }
      const provider = await providerFor(rc, name);
      const secrets = await newAuthorizationSecrets();
      const binding = await newFlowBinding();
      const callbackUrl = `${new URL(request.url).origin}/v1/oauth/${name}/callback`;
      await rc.env.OAUTH_STATE.getByName(secrets.state).begin({
        provider: name,
        verifier: secrets.verifier,
        nonce: secrets.nonce,
        redirectTo: query.redirect_to,
        callbackUrl,
        intent: query.intent,
        mode: query.mode,
        userId,
        sessionId,
        browserHash: binding.hash,
      });
      const target: Record<string, string> = {
        response_type: 'code',
        client_id: provider.clientId,
        redirect_uri: callbackUrl,
        scope: provider.scopes.join(' '),
        state: secrets.state,
        code_challenge: secrets.challenge,
        code_challenge_method: 'S256',
      };
      if (provider.identity === 'id_token') target.nonce = secrets.nonce;
      return redirect(
        withParams(provider.authorizationEndpoint, target),
        new Headers({ 'set-cookie': binding.cookie }),
      );
    },
  }),
  route({
    method: 'GET',
    path: '/v1/oauth/:provider/callback',
    summary: 'Where the provider sends the browser back; signs in, signs up or links',
    tag: 'OAuth',
    access: 'public',
    ipLimit: 'refresh',
    query: CallbackQuery,
    responses: {
      302: {
        description:
          'To `redirect_to` with `login_code` (and the session cookies in cookie mode); for `intent=link`, with `linked=PROVIDER` and no code; with `error=CODE` when the flow fails.',
      },
      400: {
        description:
          'Unknown, used or expired state, or no (or a wrong) `__Host-oauth_flow` cookie: there is nowhere safe to send the browser.',
      },
    },
    async handle({ request, rc, params, query }) {
      const { provider } = validate(ProviderParams, params);
      // Every answer to a browser that holds a flow cookie removes it: a flow is tried once.
      const clear = { 'set-cookie': clearedFlowCookie() };
      // Without the cookie this browser did not start a flow (login or link CSRF); the state is left alone.
      const binding = flowCookieOf(request);
      if (!binding) throw new ApiError('invalid_request', OTHER_BROWSER);
      const taken = query.state ? await rc.env.OAUTH_STATE.getByName(query.state).take() : null;
      const flow = taken?.ok && taken.value.provider === provider ? taken.value : null;
      if (!flow) throw new ApiError('invalid_request', UNKNOWN_FLOW, { headers: clear });
      // Another browser's flow: its redirect_to is the starter's choice, so no redirect there.
      if (!(await matchesFlow(binding, flow.browserHash)))
        throw new ApiError('invalid_request', OTHER_BROWSER, { headers: clear });
      const back = allowedRedirect(rc, flow.redirectTo);
      if (!back) throw new ApiError('invalid_request', 'The redirect target is no longer allowed.', { headers: clear });
      let response: Response;
      try {
        response = await completeCallback(rc, flow, query, back);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        response = redirect(withParams(back, { error: error.code }));
      }
      response.headers.append('set-cookie', clear['set-cookie']);
      return response;
    },
  }),
  route({
    method: 'POST',
    path: '/v1/oauth/exchange',
    summary: 'Trade a login code from the callback for tokens',
    tag: 'OAuth',
    access: 'public',
    ipLimit: 'refresh',
    body: Exchange,
    query: CookieMode,
    responses: {
      200: { description: 'A new session, as a sign-in answers.', schema: TokensOut },
      401: { description: 'Unknown, used or expired code; or `mfa_required` with an `mfa_token`.' },
    },
    async handle({ rc, body, query }) {
      const userId = userIdOf(body.login_code);
      if (!userId) throw new ApiError('unauthorized', BAD_CODE);
      const actor = await knownUserActor(rc, userId);
      const result = actor ? await actor.redeemLoginCode(body.login_code, clientInfo(rc)) : null;
      if (!result?.ok) throw new ApiError('unauthorized', BAD_CODE);
      const outcome = result.value;
      if (outcome.kind === 'mfa') {
        await audit(rc, userId, 'mfa_challenged', { method: 'oauth', provider: outcome.provider });
        throw new ApiError('mfa_required', undefined, { body: { mfa_token: outcome.mfaToken } });
      }
      await audit(rc, userId, 'login_succeeded', {
        method: 'oauth',
        provider: outcome.provider,
        session_id: outcome.session.sessionId,
      });
      return tokensResponse(rc, outcome.profile, outcome.session, query.mode);
    },
  }),
];
