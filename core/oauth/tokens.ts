/** The token endpoint: an authorization code (with its PKCE verifier) or a refresh token for tokens. */
import type { Result } from '../result';
import { codeGrant, refreshGrant, type TokenAnswer } from './client';
import type { ProviderFailure } from './http';
import type { Provider } from './provider';

export interface ProviderTokens {
  accessToken: string;
  refreshToken: string | null;
  /** The verified ID token's claims (OIDC providers); null otherwise. */
  claims: Record<string, unknown> | null;
  /** Unix ms, or null when the provider did not say (such as GitHub's non-expiring tokens). */
  expiresAt: number | null;
  /**
   * The granted scope, space-separated. When the provider does not say, it is the scope asked
   * for (RFC 6749 §5.1): the provider's scopes for a code, null (unchanged) for a refresh.
   */
  scope: string | null;
}

const tokensOf = (
  answer: Result<TokenAnswer, ProviderFailure>,
  now: number,
  askedScope: string | null,
): Result<ProviderTokens, ProviderFailure> =>
  answer.ok
    ? {
        ok: true,
        value: {
          accessToken: answer.value.accessToken,
          refreshToken: answer.value.refreshToken,
          claims: answer.value.claims,
          expiresAt: answer.value.expiresIn !== null ? now + answer.value.expiresIn * 1000 : null,
          scope: answer.value.scope ?? askedScope,
        },
      }
    : answer;

export const exchangeCode = async (
  provider: Provider,
  input: { code: string; verifier: string; redirectUri: string; nonce: string },
  now = Date.now(),
) => tokensOf(await codeGrant(provider, input), now, provider.scopes.join(' '));

export const refreshAccessToken = async (provider: Provider, refreshToken: string, now = Date.now()) =>
  tokensOf(await refreshGrant(provider, refreshToken), now, null);
