/**
 * Token exchange hooks: a provider whose code grant answers a short-lived token that must be
 * traded for a long-lived one (Meta's pattern) names a hook in `token_exchange`; the callback
 * runs it right after the code exchange, and the traded tokens are the ones stored. A hook
 * answers the new tokens or a ProviderFailure, like every provider call (and behind the same
 * guard: retries, breaker). To add one, add its name to TOKEN_EXCHANGE_HOOKS in config.ts and
 * its function here (README: "A provider with long-lived tokens").
 */
import * as v from 'valibot';
import type { TokenExchangeConfig } from '../config';
import { err, ok, type Result } from '../result';
import { type ProviderFailure, providerFetch, readJson, settle } from './http';
import type { Provider } from './provider';
import type { ProviderTokens } from './tokens';

export type TokenExchangeHook = (
  provider: Provider,
  exchange: TokenExchangeConfig & { clientSecret: string },
  tokens: ProviderTokens,
  now: number,
) => Promise<Result<ProviderTokens, ProviderFailure>>;

const Answer = v.looseObject({
  access_token: v.pipe(v.string(), v.minLength(1)),
  expires_in: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

/**
 * Facebook Login: `GET endpoint?grant_type=fb_exchange_token&client_id&client_secret&fb_exchange_token`
 * answers a long-lived (about 60 days) user token, and no refresh token: when it runs out, the
 * user signs in with Facebook again (`reauth_required`).
 */
const facebook: TokenExchangeHook = async (provider, exchange, tokens, now) => {
  const url = new URL(exchange.endpoint);
  url.searchParams.set('grant_type', 'fb_exchange_token');
  url.searchParams.set('client_id', provider.clientId);
  url.searchParams.set('client_secret', exchange.clientSecret);
  url.searchParams.set('fb_exchange_token', tokens.accessToken);
  const response = await settle(providerFetch()(url.href, { method: 'GET' }));
  const body = response.ok ? await readJson(response.value) : response;
  if (!body.ok) return body;
  const parsed = v.safeParse(Answer, body.value);
  if (!parsed.success) return err({ type: 'rejected', error: 'invalid_response' });
  const { access_token, expires_in } = parsed.output;
  return ok({
    ...tokens,
    accessToken: access_token,
    refreshToken: null,
    expiresAt: expires_in === undefined ? null : now + expires_in * 1000,
  });
};

export const TOKEN_EXCHANGES: Record<TokenExchangeConfig['hook'], TokenExchangeHook> = { facebook };

/** The provider's hook run on a code's tokens, or the tokens as they are when it has none. */
export const exchangeTokens = (
  provider: Provider,
  tokens: ProviderTokens,
  now = Date.now(),
): Promise<Result<ProviderTokens, ProviderFailure>> =>
  provider.tokenExchange
    ? TOKEN_EXCHANGES[provider.tokenExchange.hook](provider, provider.tokenExchange, tokens, now)
    : Promise.resolve(ok(tokens));
