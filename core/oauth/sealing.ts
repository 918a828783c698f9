/** Provider tokens at rest: sealed with the data key ring, each bound to user, provider and kind. */
import { type DataKey, seal, unseal } from '../crypto-box';
import type { SealedTokens } from '../db/oauth-accounts';
import type { ProviderTokens } from './tokens';

export type TokenKind = 'access' | 'refresh';

/** The additional data a provider token is sealed with: a value moved to another row does not open. */
export const tokenContext = (userId: string, provider: string, kind: TokenKind) =>
  `oauth:${kind}:${userId}:${provider}`;

/**
 * Seals new tokens; a refresh answer without a refresh token keeps `keptRefreshToken`, the
 * one the refresh used, sealed again under the current key.
 */
export async function sealTokens(
  keys: readonly DataKey[],
  userId: string,
  provider: string,
  tokens: ProviderTokens,
  keptRefreshToken: string | null = null,
): Promise<SealedTokens> {
  const refreshToken = tokens.refreshToken ?? keptRefreshToken;
  return {
    accessTokenEnc: await seal(keys, tokens.accessToken, tokenContext(userId, provider, 'access')),
    refreshTokenEnc: refreshToken ? await seal(keys, refreshToken, tokenContext(userId, provider, 'refresh')) : null,
    expiresAt: tokens.expiresAt,
    scope: tokens.scope,
  };
}

export const openToken = (
  keys: readonly DataKey[],
  userId: string,
  provider: string,
  kind: TokenKind,
  sealed: string,
) => unseal(keys, sealed, tokenContext(userId, provider, kind));
