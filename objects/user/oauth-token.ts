/**
 * A provider access token for the app, valid for at least a requested time: the sealed one
 * when it lives long enough, else one refreshed first through the refresher's single flight,
 * which a refresh from the alarm or another request shares.
 */
import type { Config } from '../../core/config';
import { findConnection, type OAuthAccountRow } from '../../core/db/oauth-accounts';
import { openSealed } from '../../core/db/sealed-values';
import { err, ok, type Result } from '../../core/result';
import { type OAuthRefresher, refreshable } from './oauth-refresh';

/** A token refreshed this recently is answered as it is, however short its life: min_ttl cannot force refresh after refresh. */
export const REFRESHED_RECENTLY_MS = 60_000;

export interface ProviderAccess {
  accessToken: string;
  /** Unix ms; null when the provider gave no expiry. */
  expiresAt: number | null;
  scope: string | null;
}

export type ProviderAccessFailure = { type: 'not_found' } | { type: 'reauth_required' } | { type: 'unavailable' };

const longEnough = (row: OAuthAccountRow, minTtlMs: number, now: number): boolean =>
  row.expiresAt === null ||
  row.expiresAt - now >= minTtlMs ||
  (row.expiresAt > now && row.lastRefreshedAt !== null && now - row.lastRefreshedAt < REFRESHED_RECENTLY_MS);

export async function providerAccess(
  db: D1Database,
  config: Config,
  refresher: OAuthRefresher,
  userId: string,
  provider: string,
  minTtlMs: number,
): Promise<Result<ProviderAccess, ProviderAccessFailure>> {
  // Twice at most: the token as stored, then as the refresh (ours or the one we waited for) left it.
  for (let round = 0; round < 2; round++) {
    const now = Date.now();
    const row = await findConnection(db, userId, provider);
    if (!row || !config.oauthProviders[provider]) return err({ type: 'not_found' });
    if (row.status === 'reauth_required' || !row.accessTokenEnc) return err({ type: 'reauth_required' });
    if (longEnough(row, minTtlMs, now)) {
      const owner = { userId, provider };
      const token = await openSealed(db, config.dataKeys, 'oauth_access_token', row.id, row.accessTokenEnc, owner);
      if (token === null) return err({ type: 'reauth_required' });
      return ok({ accessToken: token, expiresAt: row.expiresAt, scope: row.scope });
    }
    if (round === 1) break;
    if (!refreshable(row)) return err({ type: 'reauth_required' });
    if (refresher.breakerOpen(provider, now)) return err({ type: 'unavailable' });
    const outcome = await refresher.refreshOnce(row, now);
    if (outcome.type === 'rejected') return err({ type: 'reauth_required' });
    if (outcome.type === 'unavailable') return err({ type: 'unavailable' });
  }
  return err({ type: 'unavailable' });
}
