import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from '../worker/index';
import { BASE, call } from './helpers';

interface ReadyBody {
  status: string;
  cached: boolean;
  checks: Record<string, string>;
}

/** The test environment with every dependency of the probe counted. */
function countingEnv(db: Pick<D1Database, 'prepare'> = env.DB) {
  const calls = { d1: 0, durable_objects: 0, r2: 0 };
  const counted = <A extends unknown[], R>(name: keyof typeof calls, fn: (...args: A) => R) => {
    return (...args: A): R => {
      calls[name] += 1;
      return fn(...args);
    };
  };
  const e: Env = {
    ...env,
    DB: { prepare: counted('d1', (sql: string) => db.prepare(sql)) } as D1Database,
    MAINTENANCE: { getByName: counted('durable_objects', (name: string) => env.MAINTENANCE.getByName(name)) } as never,
    BACKUPS: { head: counted('r2', (key: string) => env.BACKUPS.head(key)) } as R2Bucket,
  };
  return { env: e, calls };
}

async function ready(e: Env): Promise<{ status: number; body: ReadyBody }> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`${BASE}/health/ready`), e, ctx);
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: (await response.json()) as ReadyBody };
}

describe('readiness cache', () => {
  afterEach(() => vi.useRealTimers());

  it('probes once for two calls in a row and says the second answer is cached', async () => {
    const { env: e, calls } = countingEnv();
    const first = await ready(e);
    const second = await ready(e);
    expect(calls).toEqual({ d1: 1, durable_objects: 1, r2: 1 });
    expect(first).toMatchObject({ status: 200, body: { status: 'ok', cached: false } });
    expect(second).toEqual({ status: 200, body: { ...first.body, cached: true } });
  });

  it('caches a failure too', async () => {
    const broken = {
      prepare: () => {
        throw new Error('D1_ERROR: no such database');
      },
    };
    const { env: e, calls } = countingEnv(broken as unknown as D1Database);
    const answers = [await ready(e), await ready(e)];
    expect(answers.map((a) => [a.status, a.body.cached, a.body.checks.d1])).toEqual([
      [503, false, 'failed'],
      [503, true, 'failed'],
    ]);
    expect(calls.d1).toBe(1);
  });

  it('probes again once 5 seconds have passed', async () => {
    const { env: e, calls } = countingEnv();
    await ready(e);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 5_001);
    expect((await ready(e)).body.cached).toBe(false);
    expect(calls.d1).toBe(2);
  });

  it('answers from the last probe while a newer one is under way, so a burst starts one probe', async () => {
    const { env: e, calls } = countingEnv();
    await ready(e);
    let release = (_value: null) => {};
    e.BACKUPS = { head: () => new Promise<null>((resolve) => (release = resolve)) } as unknown as R2Bucket;
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 5_001);
    const slow = ready(e);
    await vi.waitFor(() => expect(calls.d1).toBe(2));
    const during = await Promise.all([ready(e), ready(e), ready(e)]);
    expect(during.map((a) => a.body.cached)).toEqual([true, true, true]);
    expect(calls.d1).toBe(2);
    release(null);
    expect((await slow).body.cached).toBe(false);
  });

  it('caches per isolate for requests through the deployed entry point', async () => {
    await call('/health/ready');
    const again = (await (await call('/health/ready')).json()) as ReadyBody;
    expect(again.cached).toBe(true);
  });
});
