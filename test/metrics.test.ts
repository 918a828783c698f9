import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dataPointOf, latencyBucket, recordMetric } from '../core/metrics';
import { backupNow, drainAlarms } from './backup-helpers';
import { call, login, signup, uniqueEmail } from './helpers';
import { MetricsRecorder } from './metrics-helpers';
import { enrolTotp } from './mfa-helpers';
import { connect, eventually, registerTestDevice } from './realtime-helpers';

describe('metrics (Analytics Engine data points)', () => {
  let metrics: MetricsRecorder;
  beforeEach(() => {
    metrics = new MetricsRecorder();
  });
  afterEach(() => vi.restoreAllMocks());

  it('lays every point out as index1 = blob1 = kind, labels, then double1 = 1 and values', () => {
    expect(dataPointOf({ kind: 'ws_close', code: 1008 })).toEqual({
      indexes: ['ws_close'],
      blobs: ['ws_close', '1008'],
      doubles: [1],
    });
    expect(latencyBucket(0)).toBe('le_10');
    expect(latencyBucket(100)).toBe('le_100');
    expect(latencyBucket(101)).toBe('le_250');
    expect(latencyBucket(60_000)).toBe('gt_10000');
  });

  it('never throws when the binding does: the measured work goes on', () => {
    const failing = {
      writeDataPoint: () => {
        throw new Error('quota');
      },
    } as AnalyticsEngineDataset;
    expect(() => recordMetric(failing, { kind: 'refresh_reuse' })).not.toThrow();
    expect(() => recordMetric(undefined, { kind: 'refresh_reuse' })).not.toThrow();
  });

  it('counts each request by route pattern (never the raw URL), method, status and latency', async () => {
    await call('/health');
    const unauthorized = await call('/v1/devices/some-secret-looking-id', { method: 'PATCH', body: { name: 'x' } });
    expect(unauthorized.status).toBe(401);
    const [health, devices] = metrics.of('request');
    expect(health).toMatchObject({ route: '/health', method: 'GET', status: '200', status_class: '2xx' });
    expect(health!.latency_bucket).toBe(latencyBucket(health!.duration_ms as number));
    expect(devices).toMatchObject({ route: '/v1/devices/:id', method: 'PATCH', status: '401', status_class: '4xx' });
    expect(JSON.stringify(metrics.all())).not.toContain('some-secret-looking-id');
  });

  it('counts sign-ins by method and result, and the lockout they lead to', async () => {
    const user = await signup();
    expect((await login(user.email, user.password)).status).toBe(200);
    for (let i = 0; i < 5; i += 1) expect((await login(user.email, 'wrong password entirely')).status).toBe(401);
    expect((await login(user.email, user.password)).status).toBe(423);
    await eventually(() => metrics.of('lockout').length === 1);
    const signIns = metrics.of('sign_in').map((p) => `${p.method}:${p.result}`);
    expect(signIns.filter((s) => s === 'password:ok')).toHaveLength(1);
    expect(signIns.filter((s) => s === 'password:failed')).toHaveLength(5);
    expect(signIns.filter((s) => s === 'password:locked')).toHaveLength(1);
    expect(metrics.of('lockout')).toEqual([{ kind: 'lockout', scope: 'account' }]);
  });

  it('counts failures and the lockout of an email without an account', async () => {
    const email = uniqueEmail('nobody');
    for (let i = 0; i < 5; i += 1) expect((await login(email, 'whatever password here')).status).toBe(401);
    expect((await login(email, 'whatever password here')).status).toBe(423);
    const signIns = metrics.of('sign_in').map((p) => `${p.method}:${p.result}`);
    expect(signIns).toEqual([...Array(5).fill('password:failed'), 'password:locked']);
    expect(metrics.of('lockout')).toEqual([{ kind: 'lockout', scope: 'unknown_email' }]);
  });

  it('counts a wrong second factor and a refresh token reuse', async () => {
    const user = await signup();
    await enrolTotp(user);
    const challenged = await login(user.email, user.password);
    const { mfa_token } = (await challenged.json()) as { mfa_token: string };
    expect(metrics.of('sign_in').at(-1)).toMatchObject({ method: 'password', result: 'mfa_required' });
    const wrong = await call('/v1/auth/mfa', { method: 'POST', body: { mfa_token, code: '000000' } });
    expect(wrong.status).toBe(401);
    expect(metrics.of('mfa_failure')).toHaveLength(1);

    const other = await signup();
    const refresh = (token: string) => call('/v1/auth/refresh', { method: 'POST', body: { refresh_token: token } });
    expect((await refresh(other.refresh_token)).status).toBe(200);
    // A second use after the grace period for racing tabs is theft.
    await runInDurableObject(env.USER.getByName(other.user.id), (_instance, state) => {
      state.storage.sql.exec('UPDATE refresh_tokens SET used_at = used_at - 11000 WHERE used_at IS NOT NULL');
    });
    expect((await refresh(other.refresh_token)).status).toBe(401);
    expect(metrics.of('refresh_reuse')).toHaveLength(1);
  });

  it('counts socket connects, closes by code, appends by transport and relays with their latency', async () => {
    const user = await signup();
    const [a, b] = [await registerTestDevice(user.access_token), await registerTestDevice(user.access_token)];
    const sa = await connect(a);
    const sb = await connect(b);
    expect(metrics.of('ws_connect')).toHaveLength(2);
    const ack = await sa.frames.ask({ type: 'event', id: 'm-1', stream: 'notes', payload: { text: 'hi' } });
    expect(ack.type).toBe('ack');
    await sb.frames.next();
    const http = await call('/v1/events', {
      method: 'POST',
      token: user.access_token,
      body: { id: 'm-2', stream: 'notes', payload: { text: 'over http' } },
    });
    expect(http.status).toBe(201);
    await eventually(() => metrics.of('event_relayed').length === 3);
    expect(metrics.of('event_appended').map((p) => p.transport)).toEqual(['socket', 'http']);
    for (const relayed of metrics.of('event_relayed')) {
      expect(relayed.latency_ms).toBeGreaterThanOrEqual(0);
      expect(relayed.latency_ms).toBeLessThan(10_000);
    }
    sa.frames.ws.close(1000, 'bye');
    await eventually(() => metrics.of('ws_close').length === 1);
    expect(metrics.of('ws_close')).toEqual([{ kind: 'ws_close', code: '1000' }]);
  });

  it('records each backup run with its duration, rows and bytes', async () => {
    await signup();
    await backupNow();
    await drainAlarms();
    const [run] = metrics.of('backup_run');
    expect(run).toMatchObject({ result: 'complete' });
    expect(run!.rows).toBeGreaterThan(0);
    expect(run!.bytes).toBeGreaterThan(0);
    expect(run!.duration_ms).toBeGreaterThanOrEqual(0);
  });
});
