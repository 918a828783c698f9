import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceObject } from '../objects/device';
import type { MaintenanceObject } from '../objects/maintenance';
import { MAX_ATTEMPTS } from '../objects/maintenance/advance';
import { failureReporter } from '../objects/shared/report';
import type { UserObject } from '../objects/user';
import type { EventLog } from '../objects/user/events';
import { type JobHandler, type JobName, REPORT_AFTER_FAILURES, Scheduler } from '../objects/user/scheduler';
import { maintenance } from './backup-helpers';
import { call, signup } from './helpers';
import { MetricsRecorder } from './metrics-helpers';
import { connect, eventually, registerTestDevice } from './realtime-helpers';
import { SENTRY_DSN, sentryIntake } from './sentry-intake';

/** Every job idle but `key_usage`. */
const withKeyUsage = (keyUsage: JobHandler): Record<JobName, JobHandler> => {
  const idle: JobHandler = async () => null;
  return { key_usage: keyUsage, oauth_refresh: idle, log_upkeep: idle, log_export: idle, outbox: idle };
};

const withSentry = (instance: unknown) => Reflect.set(instance as object, 'env', { ...env, SENTRY_DSN: SENTRY_DSN });

describe('errors inside actors', () => {
  let envelopes: string[];
  beforeEach(() => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    envelopes = sentryIntake();
  });
  afterEach(() => vi.restoreAllMocks());

  it('reach Sentry tagged with the actor, the operation and the ids, with secrets scrubbed', async () => {
    const stub = env.USER.getByName(`report-${crypto.randomUUID()}`);
    await runInDurableObject(stub, (_instance, ctx) => {
      const report = failureReporter(() => ({ ...env, SENTRY_DSN: SENTRY_DSN }), ctx, 'user');
      report(new Error('refresh failed with Bearer sentry-canary-token'), 'scheduled_job', {
        user_id: 'user-123',
        run_id: 'run-456',
        device_id: null,
      });
    });
    await eventually(() => envelopes.length > 0);
    const sent = envelopes.join('\n');
    for (const tag of ['"actor":"user"', '"operation":"scheduled_job"', '"run_id":"run-456"', '"id":"user-123"']) {
      expect(sent).toContain(tag);
    }
    expect(sent).not.toContain('sentry-canary-token');
  });

  it('send nothing without SENTRY_DSN, and still log the failure', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const stub = env.USER.getByName(`report-${crypto.randomUUID()}`);
    await runInDurableObject(stub, (_instance, ctx) => {
      failureReporter(() => env, ctx, 'user')(new Error('quiet'), 'scheduled_job', { run_id: 'run-1' });
    });
    const line = errors.mock.calls.map(([l]) => JSON.parse(String(l))).find((l) => l.run_id === 'run-1');
    expect(line).toMatchObject({ message: 'user scheduled_job failed', error_message: 'quiet' });
    expect(envelopes).toEqual([]);
  });

  it('a failing scheduled job backs off and is reported once, on its fifth failure in a row', async () => {
    const stub = env.USER.getByName(`scheduler-${crypto.randomUUID()}`);
    const seen = await runInDurableObject(stub, async (_instance, ctx) => {
      const reports: Record<string, unknown>[] = [];
      const scheduler = new Scheduler(
        ctx.storage.sql,
        ctx.storage,
        (_e, operation, tags) => reports.push({ operation, ...tags }),
        {
          user_id: 'u-1',
        },
      );
      const due = () =>
        ctx.storage.sql.exec<{ due_at: number }>("SELECT due_at FROM scheduled_jobs WHERE job = 'key_usage'").one()
          .due_at;
      let clock = Date.now();
      await scheduler.set('key_usage', clock);
      const delays: number[] = [];
      for (let i = 0; i < REPORT_AFTER_FAILURES + 1; i += 1) {
        await scheduler.run(
          withKeyUsage(async () => Promise.reject(new Error('D1 down'))),
          clock,
        );
        delays.push(due() - clock);
        clock = due();
      }
      await scheduler.run(
        withKeyUsage(async () => null),
        clock,
      );
      return { reports, delays, failuresLeft: ctx.storage.kv.get('scheduler:failures:key_usage') ?? null };
    });
    expect(seen.delays).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 960_000]);
    expect(seen.reports).toEqual([
      { operation: 'scheduled_job', user_id: 'u-1', job: 'key_usage', run_id: expect.any(String), failures: '5' },
    ]);
    expect(seen.failuresLeft).toBeNull();
  });

  it('a socket frame that fails inside the device actor is reported and answered with an error frame', async () => {
    const user = await signup();
    const device = await registerTestDevice(user.access_token);
    const { frames } = await connect(device);
    await runInDurableObject(env.USER.getByName(user.user.id), (instance: UserObject) => {
      const log = (instance as unknown as { eventLog: EventLog }).eventLog;
      vi.spyOn(log, 'append').mockImplementation(() => {
        throw new Error('disk full');
      });
    });
    await runInDurableObject(env.DEVICE.getByName(device.id), withSentry);
    const answer = await frames.ask({ type: 'event', id: 'fails-1', stream: 'notes', payload: 1 });
    expect(answer).toMatchObject({ type: 'error', id: 'fails-1', code: 'internal' });
    await eventually(() => envelopes.some((e) => e.includes('"operation":"socket_frame"')));
    const sent = envelopes.join('\n');
    expect(sent).toContain(`"device_id":"${device.id}"`);
    expect(sent).toContain(user.user.id);
    // The socket's upgrade request id goes with it, so the report finds the upgrade's log line.
    expect(sent).toMatch(/"request_id":"[0-9a-f-]{36}"/);
  });

  it('a relay that fails carries the id of the request that appended, and the user id, into its log line', async () => {
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const user = await signup();
    const [a, b] = [await registerTestDevice(user.access_token), await registerTestDevice(user.access_token)];
    await connect(a);
    await connect(b);
    // On the class: an RPC reaches methods of the prototype only.
    await runInDurableObject(env.DEVICE.getByName(a.id), (instance: DeviceObject) => {
      vi.spyOn(Object.getPrototypeOf(instance) as DeviceObject, 'deliver').mockRejectedValue(new Error('socket gone'));
    });
    const appended = await call('/v1/events', {
      method: 'POST',
      token: user.access_token,
      headers: { 'x-request-id': 'relay-req-0001' },
      body: { id: 'relayed-1', stream: 'notes', payload: 1 },
    });
    expect(appended.status).toBe(201);
    const relayLines = () =>
      warnings.mock.calls.map(([line]) => JSON.parse(String(line))).filter((l) => l.message === 'relay failed');
    await eventually(() => relayLines().length === 2);
    for (const line of relayLines()) {
      expect(line).toMatchObject({ request_id: 'relay-req-0001', user_id: user.user.id, error_message: 'socket gone' });
    }
  });

  it('a backup that fails its last attempt is reported with its run id and counted', async () => {
    const metrics = new MetricsRecorder();
    await runInDurableObject(maintenance(), (instance: MaintenanceObject) => {
      withSentry(instance);
      const bucket = (instance as unknown as { env: Env }).env.BACKUPS;
      vi.spyOn(bucket, 'put').mockRejectedValue(new Error('R2 is down'));
    });
    const started = await maintenance().startBackup({ trigger: 'manual' });
    if (!started.ok) throw new Error(started.error.type);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) await runDurableObjectAlarm(maintenance());
    await eventually(() => envelopes.length > 0);
    expect(envelopes).toHaveLength(1);
    expect(envelopes[0]).toContain(`"run_id":"${started.value.id}"`);
    expect(envelopes[0]).toContain('"operation":"backup"');
    expect(metrics.of('backup_run')).toMatchObject([{ result: 'failed', rows: 0 }]);
  });
});
