/**
 * Revoking a connection's tokens at its provider (RFC 7009), best effort: the refresh token
 * first (at most providers it ends the whole grant), then the access token. Nothing here
 * throws or logs a token; the outcome per token is logged by kind and provider only.
 */
import type { Config } from '../config';
import type { OAuthAccountRow } from '../db/oauth-accounts';
import { describeError, log } from '../log';
import { revokeGrant } from './client';
import { guarded } from './guard';
import { resolveProvider } from './provider';
import { openToken, type TokenKind } from './sealing';

export type SealedConnection = Pick<OAuthAccountRow, 'userId' | 'provider' | 'accessTokenEnc' | 'refreshTokenEnc'>;

const HINT = { refresh: 'refresh_token', access: 'access_token' } as const;

async function revokeOne(config: Config, row: SealedConnection): Promise<void> {
  const settings = config.oauthProviders[row.provider];
  const provider = settings ? await resolveProvider(row.provider, settings) : null;
  if (!provider?.ok || !provider.value.revocationEndpoint) return;
  const fields = { provider: row.provider, user_id: row.userId };
  const sealed: [TokenKind, string | null][] = [
    ['refresh', row.refreshTokenEnc],
    ['access', row.accessTokenEnc],
  ];
  for (const [kind, value] of sealed) {
    const token = value ? (await openToken(config.dataKeys, row.userId, row.provider, kind, value))?.plaintext : null;
    if (!token) continue;
    const result = await guarded(row.provider, () => revokeGrant(provider.value, token, HINT[kind]));
    if (result.ok) log('info', 'provider token revoked', { ...fields, kind });
    else log('warn', 'provider token revocation failed', { ...fields, kind, reason: result.error.type });
  }
}

/** Revokes every connection's tokens; never throws (each failure is logged and left). */
export async function revokeAtProviders(config: Config, rows: readonly SealedConnection[]): Promise<void> {
  for (const row of rows) {
    try {
      await revokeOne(config, row);
    } catch (error) {
      log('warn', 'provider token revocation failed', { provider: row.provider, ...describeError(error) });
    }
  }
}
