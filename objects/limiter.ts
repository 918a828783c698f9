/**
 * LimiterObject: one per client IP, counting requests to unauthenticated routes, and one per
 * unknown email (`email:<sha256>`), locking it after failed sign-ins as an account's actor
 * would. One actor per key serialises its hits, so counts are exact under concurrency.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Decision, Window } from '../core/rate-limit';
import { AttemptGuard, type GuardState } from './shared/attempt-guard';
import { hitCounter, refundCounter } from './shared/counters';
import { type MigrationStep, migrate } from './shared/migrate';

/** The limiter's tables, as versioned steps (objects/shared/migrate.ts): never edit a shipped step. */
const LIMITER_MIGRATIONS: readonly MigrationStep[] = [
  [
    'CREATE TABLE IF NOT EXISTS counters (bucket TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL)',
    'CREATE TABLE IF NOT EXISTS login_guard (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), failures INTEGER NOT NULL, locked_until INTEGER)',
  ],
];

// An account's count lasts until a success; an unknown email's, which never succeeds, lasts
// this long after its last failure, so stored state stays bounded.
const GUARD_RETENTION_S = 24 * 60 * 60;

export class LimiterObject extends DurableObject<Env> {
  private readonly passwordGuard: AttemptGuard;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, LIMITER_MIGRATIONS);
    this.passwordGuard = new AttemptGuard(ctx.storage.sql);
  }

  /** Counts one request in `bucket`; refused requests are not counted. */
  async hit(bucket: string, window: Window): Promise<Decision> {
    const decision = hitCounter(this.ctx.storage.sql, bucket, window, Date.now());
    await this.forgetAfter(window.window_s);
    return decision;
  }

  /** Takes back one hit of `bucket`: an attempt counted as a failure turned out right. */
  refund(bucket: string, window: Window): Decision {
    return refundCounter(this.ctx.storage.sql, bucket, window, Date.now());
  }

  /** A sign-in attempt for an email without an account: the lockout of `UserObject.beginLogin`. */
  async beginLogin(policy: Window): Promise<GuardState & { locksIfWrong: boolean }> {
    const attempt = this.passwordGuard.begin(policy);
    await this.forgetAfter(Math.max(GUARD_RETENTION_S, policy.window_s));
    return attempt;
  }

  private async forgetAfter(seconds: number): Promise<void> {
    const expiry = Date.now() + seconds * 1000;
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm < expiry) await this.ctx.storage.setAlarm(expiry);
  }

  /** Once every window has passed, the actor forgets the address. */
  override async alarm(): Promise<void> {
    this.ctx.storage.sql.exec('DELETE FROM counters');
    this.ctx.storage.sql.exec('DELETE FROM login_guard');
  }
}
