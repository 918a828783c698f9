/**
 * Circuit breakers per provider, kept in two places: the isolate's memory, which every user
 * actor and sign-in request in the isolate shares (core/oauth/isolate-breakers.ts), and the actor's
 * SQLite, which survives eviction. The more pessimistic of the two decides.
 */
import { recordMetric } from '../../core/metrics';
import { afterFailure, type BreakerState, CLOSED, isOpen, merge } from '../../core/oauth/breaker';
import { isolateBreakers } from '../../core/oauth/isolate-breakers';
import { one } from '../shared/query';

export class ProviderBreakers {
  constructor(
    private readonly sql: SqlStorage,
    private readonly metrics?: AnalyticsEngineDataset,
  ) {}

  state(provider: string): BreakerState {
    const row = one<{ failures: number; open_until: number }>(
      this.sql,
      'SELECT failures, open_until FROM oauth_breaker WHERE provider = ?',
      provider,
    );
    const stored = row ? { failures: row.failures, openUntil: row.open_until } : CLOSED;
    return merge(isolateBreakers.state(provider), stored);
  }

  failed(provider: string, now: number): BreakerState {
    const before = this.state(provider);
    const next = afterFailure(before, now);
    this.write(provider, next);
    if (isOpen(next, now) && !isOpen(before, now)) recordMetric(this.metrics, { kind: 'breaker_open', provider });
    return next;
  }

  succeeded(provider: string): void {
    this.write(provider, CLOSED);
  }

  private write(provider: string, state: BreakerState): void {
    isolateBreakers.set(provider, state);
    this.sql.exec(
      `INSERT INTO oauth_breaker (provider, failures, open_until) VALUES (?, ?, ?)
       ON CONFLICT(provider) DO UPDATE SET failures = excluded.failures, open_until = excluded.open_until`,
      provider,
      state.failures,
      state.openUntil,
    );
  }
}
