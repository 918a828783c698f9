/** The token endpoint: an authorization code (with its PKCE verifier) or a refresh token for tokens. */
import * as v from 'valibot';
import { err, ok, type Result } from '../result';
import { type ProviderFailure, postForm } from './http';
import type { Provider } from './provider';

const TokenAnswer = v.looseObject({
  access_token: v.pipe(v.string(), v.minLength(1)),
  token_type: v.optional(v.string()),
  expires_in: v.optional(v.union([v.number(), v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number))])),
  refresh_token: v.optional(v.string()),
  id_token: v.optional(v.string()),
  scope: v.optional(v.string()),
});

export interface ProviderTokens {
  accessToken: string;
  refreshToken: string | null;
  idToken: string | null;
  /** Unix ms, or null when the provider did not say (such as GitHub's non-expiring tokens). */
  expiresAt: number | null;
}

async function request(
  provider: Provider,
  grant: Record<string, string>,
  now: number,
): Promise<Result<ProviderTokens, ProviderFailure>> {
  // client_secret_post: supported by Google, GitHub and OIDC providers in general.
  const answer = await postForm(provider.tokenEndpoint, {
    ...grant,
    client_id: provider.clientId,
    client_secret: provider.clientSecret,
  });
  if (!answer.ok) return answer;
  const parsed = v.safeParse(TokenAnswer, answer.value);
  if (!parsed.success) return err({ type: 'rejected', error: 'invalid_response' });
  const t = parsed.output;
  return ok({
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? null,
    idToken: t.id_token ?? null,
    expiresAt: t.expires_in !== undefined ? now + t.expires_in * 1000 : null,
  });
}

export const exchangeCode = (
  provider: Provider,
  input: { code: string; verifier: string; redirectUri: string },
  now = Date.now(),
) =>
  request(
    provider,
    {
      grant_type: 'authorization_code',
      code: input.code,
      code_verifier: input.verifier,
      redirect_uri: input.redirectUri,
    },
    now,
  );

export const refreshAccessToken = (provider: Provider, refreshToken: string, now = Date.now()) =>
  request(provider, { grant_type: 'refresh_token', refresh_token: refreshToken }, now);
