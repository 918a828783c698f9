/**
 * LimiterObject: one per client IP, counting requests to unauthenticated routes. One actor
 * per address serialises its hits, so counts are exact under concurrency.
 */
import { DurableObject } from 'cloudflare:workers';
import { countHit, type Decision, type Window } from '../core/rate-limit';

export class LimiterObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS counters (bucket TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL)',
    );
  }

  /** Counts one request in `bucket`; refused requests are not counted. */
  async hit(bucket: string, window: Window): Promise<Decision> {
    const now = Date.now();
    const row = this.ctx.storage.sql
      .exec<{ window_start: number; count: number }>(
        'SELECT window_start, count FROM counters WHERE bucket = ?',
        bucket,
      )
      .toArray()[0];
    const { counter, decision } = countHit(
      row ? { windowStart: row.window_start, count: row.count } : null,
      window,
      now,
    );
    this.ctx.storage.sql.exec(
      'INSERT INTO counters (bucket, window_start, count) VALUES (?, ?, ?) ON CONFLICT(bucket) DO UPDATE SET window_start = excluded.window_start, count = excluded.count',
      bucket,
      counter.windowStart,
      counter.count,
    );
    const expiry = counter.windowStart + window.window_s * 1000;
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm < expiry) await this.ctx.storage.setAlarm(expiry);
    return decision;
  }

  /** Once every window has passed, the actor forgets the address. */
  override async alarm(): Promise<void> {
    this.ctx.storage.sql.exec('DELETE FROM counters');
  }
}
