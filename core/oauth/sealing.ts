/** Provider tokens at rest: sealed with AES-GCM under DATA_ENCRYPTION_KEY, bound to user, provider and kind. */
import { seal, unseal } from '../crypto-box';
import type { SealedTokens } from '../db/oauth-accounts';
import type { ProviderTokens } from './tokens';

const context = (userId: string, provider: string, kind: 'access' | 'refresh') => `oauth:${kind}:${userId}:${provider}`;

/** Seals new tokens; a refresh answer without a refresh token keeps the one already sealed. */
export async function sealTokens(
  key: string,
  userId: string,
  provider: string,
  tokens: ProviderTokens,
  previousRefreshEnc: string | null = null,
): Promise<SealedTokens> {
  return {
    accessTokenEnc: await seal(key, tokens.accessToken, context(userId, provider, 'access')),
    refreshTokenEnc: tokens.refreshToken
      ? await seal(key, tokens.refreshToken, context(userId, provider, 'refresh'))
      : previousRefreshEnc,
    expiresAt: tokens.expiresAt,
  };
}

export const openRefreshToken = (key: string, userId: string, provider: string, sealed: string) =>
  unseal(key, sealed, context(userId, provider, 'refresh'));
