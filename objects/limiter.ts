/**
 * LimiterObject: one per client IP, counting requests to unauthenticated routes. One actor
 * per address serialises its hits, so counts are exact under concurrency.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Decision, Window } from '../core/rate-limit';
import { COUNTERS_DDL, hitCounter } from './shared/counters';

export class LimiterObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(COUNTERS_DDL);
  }

  /** Counts one request in `bucket`; refused requests are not counted. */
  async hit(bucket: string, window: Window): Promise<Decision> {
    const decision = hitCounter(this.ctx.storage.sql, bucket, window, Date.now());
    const expiry = Date.now() + window.window_s * 1000;
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm < expiry) await this.ctx.storage.setAlarm(expiry);
    return decision;
  }

  /** Once every window has passed, the actor forgets the address. */
  override async alarm(): Promise<void> {
    this.ctx.storage.sql.exec('DELETE FROM counters');
  }
}
