/**
 * Refreshing provider tokens before they expire, from the user actor's alarm, and on demand
 * for `GET /v1/me/connections/{provider}/token` (oauth-token.ts), both through `refreshOnce`,
 * so one refresh is out per connection at a time. Each tracked
 * connection is due when 5 minutes of its access token's life remain. A run makes up to three
 * attempts (a timeout each, 2 retries with backoff); the provider's circuit breaker can skip it.
 * A provider that refuses the refresh token, or REFRESH_MAX_FAILURES failed runs in a row,
 * turn the connection `reauth_required`, recorded in the audit log. Re-running is harmless: a
 * connection whose token is no longer near expiry is only rescheduled. Every write after the
 * provider call is conditional on the sealed refresh token the run read: a relink or unlink
 * while the call was out (the input gate is open) stands, and is neither overwritten nor re-tracked.
 */
import type { Config } from '../../core/config';
import {
  findConnection,
  type OAuthAccountRow,
  type RefreshedRow,
  updateIfUnchanged,
} from '../../core/db/oauth-accounts';
import { log } from '../../core/log';
import { recordMetric } from '../../core/metrics';
import { isOpen } from '../../core/oauth/breaker';
import { resolveProvider } from '../../core/oauth/provider';
import { withRetries } from '../../core/oauth/retry';
import { openToken, sealTokens } from '../../core/oauth/sealing';
import { refreshAccessToken } from '../../core/oauth/tokens';
import { all, one } from '../shared/query';
import type { AuditTrail } from './audit-trail';
import { ProviderBreakers } from './oauth-breaker';

export const REFRESH_LEAD_MS = 5 * 60_000;
export const REFRESH_MAX_FAILURES = 3;
const FAILURE_BACKOFF_MS = 60_000;

interface Tracked extends Record<string, SqlStorageValue> {
  provider: string;
  user_id: string;
  due_at: number;
  failures: number;
}

/** A connection that can be refreshed: it has a refresh token and an expiry, and is not waiting for re-authorisation. */
export type RefreshableRow = OAuthAccountRow & { refreshTokenEnc: string; expiresAt: number };

export const refreshable = (row: OAuthAccountRow | undefined): row is RefreshableRow =>
  row?.refreshTokenEnc != null && row.expiresAt !== null && row.status !== 'reauth_required';

/** How a refresh ended: `changed` when the connection was relinked, unlinked or refreshed meanwhile. */
export type RefreshOutcome =
  | { type: 'refreshed' }
  | { type: 'rejected' }
  | { type: 'changed' }
  | { type: 'unavailable'; read: RefreshedRow };

export class OAuthRefresher {
  private readonly breakers: ProviderBreakers;
  /** Refreshes out now, by provider: the alarm and requests share them (single flight). */
  private readonly inFlight = new Map<string, Promise<RefreshOutcome>>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly db: D1Database,
    private readonly config: () => Config,
    private readonly userId: string,
    private readonly auditTrail: AuditTrail,
    private readonly metrics?: AnalyticsEngineDataset,
  ) {
    this.breakers = new ProviderBreakers(sql, metrics);
  }

  /** Tracks a connection whose token expires at `expiresAt` (null: nothing to refresh). */
  track(provider: string, expiresAt: number | null): void {
    if (expiresAt === null) {
      this.forget(provider);
      return;
    }
    this.sql.exec(
      `INSERT INTO oauth_refresh (provider, user_id, due_at, failures) VALUES (?, ?, ?, 0)
       ON CONFLICT(provider) DO UPDATE SET user_id = excluded.user_id, due_at = excluded.due_at, failures = 0`,
      provider,
      this.userId,
      expiresAt - REFRESH_LEAD_MS,
    );
  }

  forget(provider: string): void {
    this.sql.exec('DELETE FROM oauth_refresh WHERE provider = ?', provider);
  }

  nextDue(): number | null {
    return one<{ at: number | null }>(this.sql, 'SELECT MIN(due_at) AS at FROM oauth_refresh')?.at ?? null;
  }

  /** The alarm's job: refreshes every due connection; answers when the next one is due. */
  async run(now: number): Promise<number | null> {
    const due = all<Tracked>(this.sql, 'SELECT * FROM oauth_refresh WHERE due_at <= ?', now);
    for (const tracked of due) await this.refreshDue(tracked, now);
    return this.nextDue();
  }

  /** Whether the provider's breaker holds calls back now. */
  breakerOpen(provider: string, now: number): boolean {
    return isOpen(this.breakers.state(provider), now);
  }

  private reschedule(provider: string, at: number, failures: number): void {
    this.sql.exec('UPDATE oauth_refresh SET due_at = ?, failures = ? WHERE provider = ?', at, failures, provider);
  }

  private async refreshDue(tracked: Tracked, now: number): Promise<void> {
    const { provider, user_id: userId } = tracked;
    const account = await findConnection(this.db, userId, provider);
    if (!this.config().oauthProviders[provider] || !refreshable(account)) return this.forget(provider);
    if (account.expiresAt - REFRESH_LEAD_MS > now) {
      return this.reschedule(provider, account.expiresAt - REFRESH_LEAD_MS, tracked.failures);
    }
    const breaker = this.breakers.state(provider);
    if (isOpen(breaker, now)) return this.reschedule(provider, breaker.openUntil, tracked.failures);
    const outcome = await this.refreshOnce(account, now);
    if (outcome.type !== 'unavailable') return;
    const failures = tracked.failures + 1;
    log('warn', 'provider token refresh failed', { provider, user_id: userId, failures });
    if (failures >= REFRESH_MAX_FAILURES) return this.requireReauth(account, outcome.read, 'unavailable');
    this.reschedule(provider, now + FAILURE_BACKOFF_MS * 2 ** (failures - 1), failures);
  }

  /**
   * The one way a connection is refreshed, by the alarm and by requests alike: while a refresh
   * of a provider is out, every other caller waits for that one, so a refresh token is used once.
   */
  refreshOnce(account: RefreshableRow, now: number): Promise<RefreshOutcome> {
    let running = this.inFlight.get(account.provider);
    if (!running) {
      running = this.refresh(account, now).finally(() => this.inFlight.delete(account.provider));
      this.inFlight.set(account.provider, running);
    }
    return running;
  }

  private async refresh(account: RefreshableRow, now: number): Promise<RefreshOutcome> {
    const { provider, userId } = account;
    const config = this.config();
    const settings = config.oauthProviders[provider];
    if (!settings) return { type: 'changed' };
    const read: RefreshedRow = { id: account.id, refreshTokenEnc: account.refreshTokenEnc };
    // Not re-sealed on this read: the refresh's own write seals it again under the current key.
    const refreshToken = (await openToken(config.dataKeys, userId, provider, 'refresh', read.refreshTokenEnc))
      ?.plaintext;
    if (!refreshToken) {
      await this.requireReauth(account, read, 'undecryptable');
      return { type: 'rejected' };
    }
    if (!(await updateIfUnchanged(this.db, read, { status: 'refreshing' }))) return { type: 'changed' };
    const resolved = await resolveProvider(provider, settings);
    const result = resolved.ok
      ? await withRetries(() => refreshAccessToken(resolved.value, refreshToken))
      : ({ ok: false, error: { type: 'unavailable' } } as const);
    if (!(await this.unchanged(read, userId, provider))) return { type: 'changed' };
    if (result.ok) {
      this.breakers.succeeded(provider);
      const sealed = await sealTokens(config.dataKeys, userId, provider, result.value, refreshToken);
      const changes = {
        ...sealed,
        scope: sealed.scope ?? account.scope,
        status: 'ok' as const,
        lastRefreshedAt: Date.now(),
      };
      if (!(await updateIfUnchanged(this.db, read, changes))) return { type: 'changed' };
      this.track(provider, sealed.expiresAt);
      recordMetric(this.metrics, { kind: 'provider_refresh', provider, result: 'ok' });
      return { type: 'refreshed' };
    }
    if (result.error.type === 'rejected') {
      this.breakers.succeeded(provider);
      await this.requireReauth(account, read, 'rejected');
      return { type: 'rejected' };
    }
    this.breakers.failed(provider, now);
    recordMetric(this.metrics, { kind: 'provider_refresh', provider, result: 'failed' });
    await updateIfUnchanged(this.db, read, { status: 'ok' });
    return { type: 'unavailable', read };
  }

  /** Whether the connection still holds the refresh token this run used (a fresh D1 read). */
  private async unchanged(read: RefreshedRow, userId: string, provider: string): Promise<boolean> {
    const current = await findConnection(this.db, userId, provider);
    return current?.id === read.id && current.refreshTokenEnc === read.refreshTokenEnc;
  }

  private async requireReauth(account: OAuthAccountRow, read: RefreshedRow, reason: string): Promise<void> {
    if (!(await updateIfUnchanged(this.db, read, { status: 'reauth_required' }))) return;
    recordMetric(this.metrics, { kind: 'provider_refresh', provider: account.provider, result: 'reauth_required' });
    await this.auditTrail.record({
      type: 'oauth_reauth_required',
      details: { provider: account.provider, reason },
    });
    this.forget(account.provider);
  }
}
