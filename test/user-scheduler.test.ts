import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { UserObject } from '../objects/user';
import { Scheduler } from '../objects/user/scheduler';

/** A user actor of its own, with its key-usage flush replaced by `flush`. */
function actor(flush: (scheduler: Scheduler) => Promise<number | null>) {
  const stub = env.USER.getByName(`scheduler-${crypto.randomUUID()}`);
  const arm = () =>
    runInDurableObject(stub, async (instance: UserObject) => {
      const scheduler = Reflect.get(instance, 'scheduler') as Scheduler;
      Reflect.set(instance, 'flushKeyUsage', () => flush(scheduler));
      await scheduler.set('key_usage', Date.now() - 1);
    });
  const row = () =>
    runInDurableObject(stub, async (_instance, ctx) => ({
      due: ctx.storage.sql
        .exec<{ due_at: number }>("SELECT due_at FROM scheduled_jobs WHERE job = 'key_usage'")
        .toArray()[0]?.due_at,
      alarm: await ctx.storage.getAlarm(),
    }));
  return { stub, arm, row };
}

describe('the user actor’s job scheduler', () => {
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
      void scheduler.run({ key_usage: hung, oauth_refresh: async () => null }, startedAt);
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

  it('leaves a job that throws scheduled, and the next alarm runs it again', async () => {
    let calls = 0;
    const { stub, arm, row } = actor(async () => {
      calls++;
      throw new Error('flush failed');
    });
    await arm();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(calls).toBe(1);
    const after = await row();
    expect(after.due).toBeGreaterThan(Date.now());
    expect(after.alarm).toBe(after.due);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(calls).toBe(2);
  });

  it('removes a job that succeeds with nothing left to do', async () => {
    const { stub, arm, row } = actor(async () => null);
    await arm();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await row()).toEqual({ due: undefined, alarm: null });
  });

  it('keeps work scheduled while the job ran beside its answer', async () => {
    const later = Date.now() + 120_000;
    const { stub, arm, row } = actor(async (scheduler) => {
      await scheduler.atLatest('key_usage', later);
      return null;
    });
    await arm();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await row()).toEqual({ due: later, alarm: later });
  });
});
