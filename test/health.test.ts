import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../worker/index';
import { BASE, call } from './helpers';

describe('health', () => {
  it('answers liveness', async () => {
    const response = await call('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('reports every dependency ready with version and build', async () => {
    const response = await call('/health/ready');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      version: env.APP_VERSION,
      build: env.BUILD_ID,
      checks: { d1: 'ok', durable_objects: 'ok', r2: 'ok' },
      cached: false,
    });
  });

  it('answers 503 degraded and names the failing check when D1 fails', async () => {
    const brokenDb = {
      prepare: () => {
        throw new Error('D1_ERROR: no such database');
      },
    } as unknown as D1Database;
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request(`${BASE}/health/ready`), { ...env, DB: brokenDb }, ctx);
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('degraded');
    expect(body.checks).toEqual({ d1: 'failed', durable_objects: 'ok', r2: 'ok' });
    expect(JSON.stringify(body)).not.toContain('no such database');
  });

  it('answers 503 when R2 hangs past the check timeout', async () => {
    const stuckBucket = { head: () => new Promise(() => {}) } as unknown as R2Bucket;
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request(`${BASE}/health/ready`), { ...env, BACKUPS: stuckBucket }, ctx);
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { checks: Record<string, string> };
    expect(body.checks.r2).toBe('failed');
  });
});
