/**
 * Circuit breakers per provider, kept in two places: the isolate's memory, which every user
 * actor in the isolate shares (one actor's failures spare the others the wait), and the actor's
 * SQLite, which survives eviction. The more pessimistic of the two decides.
 */
import { recordMetric } from '../../core/metrics';
import { afterFailure, type BreakerState, CLOSED, isOpen, merge } from '../../core/oauth/breaker';
import { one } from '../shared/query';

const isolate = new Map<string, BreakerState>();

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
    return merge(isolate.get(provider) ?? CLOSED, stored);
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
    isolate.set(provider, state);
    this.sql.exec(
      `INSERT INTO oauth_breaker (provider, failures, open_until) VALUES (?, ?, ?)
       ON CONFLICT(provider) DO UPDATE SET failures = excluded.failures, open_until = excluded.open_until`,
      provider,
      state.failures,
      state.openUntil,
    );
  }
}
