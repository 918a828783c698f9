/**
 * Provider tokens revoked after the request that dropped them has answered: unlinking,
 * erasure, a password change. Best effort and never blocking the user: `waitUntil`, once.
 * When the user actor's transactional outbox lands, this belongs there, so a revocation that
 * fails (provider down, isolate gone) is retried rather than dropped.
 */
import { clearTokensOf } from '../../core/db/oauth-accounts';
import { revokeAtProviders, type SealedConnection } from '../../core/oauth/revocation';
import type { RequestContext } from '../context';

export function revokeLater(rc: RequestContext, rows: readonly SealedConnection[]): void {
  const withTokens = rows.filter((row) => row.accessTokenEnc || row.refreshTokenEnc);
  if (withTokens.length) rc.exec.waitUntil(revokeAtProviders(rc.config, withTokens));
}

/** A password change's share: every connection's tokens deleted now and revoked at the provider after the answer. */
export async function dropProviderTokens(rc: RequestContext, userId: string): Promise<number> {
  const dropped = await clearTokensOf(rc.d1.primary(), userId);
  revokeLater(rc, dropped);
  return dropped.length;
}
