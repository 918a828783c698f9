import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Scheduler } from '../objects/user/scheduler';
import { call, signup } from './helpers';
import { outboxDrained } from './mail';

/** A new user with an API key used `uses` times: the uses are counted in the user's actor. */
async function usedKey(uses: number) {
  const user = await signup();
  const response = await call('/v1/me/api-keys', {
    method: 'POST',
    token: user.access_token,
    body: { name: 'scheduled', scopes: ['read'] },
  });
  expect(response.status).toBe(201);
  const key = (await response.json()) as { id: string; key: string };
  for (let i = 0; i < uses; i++) expect((await call('/v1/me', { token: key.key })).status).toBe(200);
  const stored = () =>
    env.DB.prepare('SELECT use_count, last_used_at FROM api_keys WHERE id = ?')
      .bind(key.id)
      .first<{ use_count: number; last_used_at: number | null }>();
  // The signup's verification mail leaves first, so a forced alarm is the flush's.
  await outboxDrained(user.user.id);
  return { stub: env.USER.getByName(user.user.id), id: key.id, stored };
}

describe('the user actor’s job scheduler', () => {
  afterEach(() => vi.restoreAllMocks());

  it('keeps a job scheduled while it runs, so one cut short by a dying isolate runs again', async () => {
    const stub = env.USER.getByName(`scheduler-${crypto.randomUUID()}`);
    const seen = await runInDurableObject(stub, async (_instance, ctx) => {
      const scheduler = new Scheduler(ctx.storage.sql, ctx.storage);
      await scheduler.set('key_usage', Date.now() - 1);
      const startedAt = Date.now();
      let during: { due: number | undefined; alarm: number | null } | null = null;
      const hung = async () => {
        during = {
          due: ctx.storage.sql
            .exec<{ due_at: number }>("SELECT due_at FROM scheduled_jobs WHERE job = 'key_usage'")
            .toArray()[0]?.due_at,
          alarm: await ctx.storage.getAlarm(),
        };
        return new Promise<null>(() => {});
      };
      void scheduler.run(
        {
          key_usage: hung,
          oauth_refresh: async () => null,
          log_upkeep: async () => null,
          log_export: async () => null,
          outbox: async () => null,
        },
        startedAt,
      );
      for (let i = 0; i < 100 && !during; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      // The isolate "dies" here; a new one finds the job and runs it.
      let ran = 0;
      const restarted = new Scheduler(ctx.storage.sql, ctx.storage);
      await restarted.run(
        {
          key_usage: async () => {
            ran++;
            return null;
          },
          oauth_refresh: async () => null,
          log_upkeep: async () => null,
          log_export: async () => null,
          outbox: async () => null,
        },
        startedAt + 60_000,
      );
      return { during, startedAt, ran };
    });
    const during = seen.during as unknown as { due: number; alarm: number };
    expect(during.due).toBeGreaterThan(seen.startedAt);
    expect(during.alarm).toBe(during.due);
    expect(seen.ran).toBe(1);
  });

  it('writes counted key uses to D1 when the alarm fires, then has nothing left to run', async () => {
    const { stub, id, stored } = await usedKey(2);
    expect(await stub.pendingKeyUsage()).toMatchObject([{ id, count: 2 }]);
    expect(await stored()).toEqual({ use_count: 0, last_used_at: null });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stored()).toEqual({ use_count: 2, last_used_at: expect.any(Number) });
    expect(await stub.pendingKeyUsage()).toEqual([]);
    // The job is gone; the backup of the account's audit entries runs next, then no alarm is left.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.pendingKeyUsage()).toEqual([]);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it('keeps a flush that D1 refuses scheduled, and the next alarm writes the uses', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const { stub, id, stored } = await usedKey(3);
    const trigger = `refuse_usage_${id.replace(/\W/g, '_')}`;
    await env.DB.prepare(
      `CREATE TRIGGER ${trigger} BEFORE UPDATE ON api_keys WHEN OLD.id = '${id}' BEGIN SELECT RAISE(ABORT, 'injected D1 failure'); END`,
    ).run();
    try {
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect(await stored()).toEqual({ use_count: 0, last_used_at: null });
      expect(await stub.pendingKeyUsage()).toMatchObject([{ id, count: 3 }]);
    } finally {
      await env.DB.prepare(`DROP TRIGGER ${trigger}`).run();
    }
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stored()).toEqual({ use_count: 3, last_used_at: expect.any(Number) });
    expect(await stub.pendingKeyUsage()).toEqual([]);
  });

  it('keeps work asked for while a job runs beside the job’s own answer', async () => {
    const stub = env.USER.getByName(`scheduler-${crypto.randomUUID()}`);
    const later = Date.now() + 120_000;
    const after = await runInDurableObject(stub, async (_instance, ctx) => {
      const scheduler = new Scheduler(ctx.storage.sql, ctx.storage);
      await scheduler.set('key_usage', Date.now() - 1);
      await scheduler.run({
        key_usage: async () => {
          await scheduler.atLatest('key_usage', later);
          return null;
        },
        oauth_refresh: async () => null,
        log_upkeep: async () => null,
        log_export: async () => null,
        outbox: async () => null,
      });
      return {
        due: ctx.storage.sql
          .exec<{ due_at: number }>("SELECT due_at FROM scheduled_jobs WHERE job = 'key_usage'")
          .toArray()[0]?.due_at,
        alarm: await ctx.storage.getAlarm(),
      };
    });
    expect(after).toEqual({ due: later, alarm: later });
  });
});
