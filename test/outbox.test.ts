import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configFrom } from '../core/config';
import { retryDelayMs } from '../core/outbox/backoff';
import { Courier } from '../objects/user/courier';
import { Outbox } from '../objects/user/outbox';
import { type CallOptions, call, expectError, signup } from './helpers';
import { catchMail, outboxDrained, type Relay } from './mail';
import { MetricsRecorder } from './metrics-helpers';

const admin = (path: string, options: CallOptions = {}) => call(path, { ...options, token: env.ADMIN_TOKEN });
const held = (userId: string) => env.USER.getByName(userId).outboxMessages();
const jobsOf = (userId: string) =>
  runInDurableObject(env.USER.getByName(userId), (_instance, ctx) =>
    ctx.storage.sql
      .exec<{ job: string }>('SELECT job FROM scheduled_jobs')
      .toArray()
      .map((row) => row.job),
  );
const alarmOf = (userId: string) =>
  runInDurableObject(env.USER.getByName(userId), (_instance, ctx) => ctx.storage.getAlarm());

/** Moves the actors' clock `ms` ahead and runs the user's alarm. */
async function later(userId: string, ms: number): Promise<void> {
  const now = Date.now() + ms;
  vi.spyOn(Date, 'now').mockReturnValue(now);
  await runDurableObjectAlarm(env.USER.getByName(userId));
}

/** A user whose verification mail the relay refused `times` times (each after the previous retry was due). */
async function refusedUser(relay: Relay, times: number) {
  relay.answer(503);
  const user = await signup();
  let offset = 0;
  await vi.waitFor(() => expect(relay.attempts.length).toBe(1));
  for (let i = 1; i < times; i++) {
    offset += 7 * 60 * 60_000;
    await later(user.user.id, offset);
  }
  return { user, offset };
}

describe('the outbox', () => {
  let relay: Relay;
  beforeEach(() => {
    relay = catchMail();
  });
  afterEach(() => vi.restoreAllMocks());

  it('backs off exponentially with jitter, capped at six hours', () => {
    expect(retryDelayMs(1, 0)).toBe(15_000);
    expect(retryDelayMs(1, 0.999_999)).toBeCloseTo(30_000, -1);
    expect(retryDelayMs(3, 0)).toBe(60_000);
    expect(retryDelayMs(30, 0.5)).toBe(Math.round(0.75 * 6 * 60 * 60_000));
  });

  it('delivers each message exactly once when the relay answers, and leaves no outbox job behind', async () => {
    const user = await signup();
    const resend = () => call('/v1/me/email/verify', { method: 'POST', token: user.access_token });
    expect([(await resend()).status, (await resend()).status]).toEqual([202, 202]);
    await outboxDrained(user.user.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ids = relay.attempts.map((a) => a.id);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    const tokens = relay.mails.map((m) => new URL(/https?:\/\/\S+/.exec(m.json.text)![0]).searchParams.get('token'));
    expect(new Set(tokens).size).toBe(3);
    // The alarm left is the audit trail's backup (DESIGN §7), not the outbox's.
    expect(await jobsOf(user.user.id)).not.toContain('outbox');
  });

  it('keeps a refused message and retries it after the backoff, with the same id', async () => {
    relay.answer(503);
    const user = await signup();
    await vi.waitFor(async () => expect(await held(user.user.id)).toMatchObject([{ status: 'pending', attempts: 1 }]));
    const alarm = (await alarmOf(user.user.id))!;
    expect(alarm - Date.now()).toBeGreaterThan(10_000);
    expect(alarm - Date.now()).toBeLessThanOrEqual(30_000);
    relay.answer(204);
    await later(user.user.id, 31_000);
    const mail = await relay.next(user.email, 'verify_email');
    expect(relay.attempts.map((a) => a.id)).toEqual([mail.headers['webhook-id'], mail.headers['webhook-id']]);
    expect(await held(user.user.id)).toEqual([]);
  });

  it('delivers a message that waited through an eviction of its actor', async () => {
    relay.answer(503);
    const user = await signup();
    await vi.waitFor(async () => expect(await held(user.user.id)).toMatchObject([{ attempts: 1 }]));
    await evictDurableObject(env.USER.getByName(user.user.id));
    relay.answer(204);
    await later(user.user.id, 31_000);
    await relay.next(user.email, 'verify_email');
    expect(await held(user.user.id)).toEqual([]);
  });

  it('delivers again, with the same id, when the isolate dies between the send and its record', async () => {
    const stub = env.USER.getByName(`outbox-${crypto.randomUUID()}`);
    const result = await runInDurableObject(stub, async (_instance, ctx) => {
      const config = () => configFrom(env);
      const outbox = new Outbox(ctx.storage.sql);
      const email = { to: 'cut-short@example.com', subject: 's', text: 't', html: 'h', kind: 'verify_email' };
      const id = outbox.add('email', email);
      const release = relay.hold();
      void new Courier(outbox, env, config, 'cut-short').run(Date.now());
      await vi.waitFor(() => expect(relay.attempts).toHaveLength(1));
      // The isolate "dies" here, after the relay got the message: a new one finds it still there.
      const restarted = new Outbox(ctx.storage.sql);
      const pending = restarted.list();
      await new Courier(restarted, env, config, 'cut-short').run(Date.now());
      const after = restarted.list();
      release();
      return { id, pending, after };
    });
    expect(result.pending).toMatchObject([{ id: result.id, status: 'pending' }]);
    expect(result.after).toEqual([]);
    expect(relay.attempts.map((a) => a.id)).toEqual([result.id, result.id]);
  });

  it('parks a message as dead after OUTBOX_MAX_ATTEMPTS, lists it, and the operator’s retry delivers it', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const metrics = new MetricsRecorder();
    const { user, offset } = await refusedUser(relay, 8);
    const deliveries = metrics.of('outbox_delivery').map((p) => `${p.channel}:${p.message}:${p.result}:${p.attempt}`);
    expect(deliveries).toEqual([
      ...[1, 2, 3, 4, 5, 6, 7].map((n) => `email:verify_email:failed:${n}`),
      'email:verify_email:dead:8',
    ]);
    const logged = errors.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(logged.find((l) => l.message === 'user outbox_dead_letter failed')).toMatchObject({
      user_id: user.user.id,
      channel: 'email',
      kind: 'verify_email',
    });
    const [message] = await held(user.user.id);
    expect(message).toMatchObject({ status: 'dead', attempts: 8 });
    expect(relay.attempts).toHaveLength(8);
    // Nothing is left to schedule: a dead message waits for the operator.
    expect(await alarmOf(user.user.id)).toBeNull();

    const list = await admin('/v1/admin/outbox?status=dead');
    expect(list.status).toBe(200);
    const { messages } = (await list.json()) as { messages: { id: string }[] };
    expect(messages.find((m) => m.id === message!.id)).toEqual({
      id: message!.id,
      user_id: user.user.id,
      channel: 'email',
      kind: 'verify_email',
      attempts: 8,
      last_error: 'HTTP 503',
      dead_at: expect.any(String),
    });

    relay.answer(204);
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + offset);
    expect((await admin(`/v1/admin/outbox/${message!.id}/retry`, { method: 'POST' })).status).toBe(202);
    await runDurableObjectAlarm(env.USER.getByName(user.user.id));
    await relay.next(user.email, 'verify_email');
    expect(await held(user.user.id)).toEqual([]);
    expect(metrics.of('outbox_delivery').at(-1)).toMatchObject({ result: 'ok', attempt: 1 });
    const after = (await (await admin('/v1/admin/outbox')).json()) as { messages: { id: string }[] };
    expect(after.messages.some((m) => m.id === message!.id)).toBe(false);
    await expectError(await admin(`/v1/admin/outbox/${message!.id}/retry`, { method: 'POST' }), 404, 'not_found');
  });

  it('answers the operator’s bad input with 4xx and others with 401', async () => {
    await expectError(await admin('/v1/admin/outbox/not-an-id/retry', { method: 'POST' }), 400, 'invalid_request');
    await expectError(
      await admin(`/v1/admin/outbox/msg_${'A'.repeat(22)}/retry`, { method: 'POST' }),
      404,
      'not_found',
    );
    await expectError(await admin('/v1/admin/outbox?status=pending'), 400, 'invalid_request');
    await expectError(await admin('/v1/admin/outbox?limit=0'), 400, 'invalid_request');
    await expectError(await admin('/v1/admin/outbox?extra=1'), 400, 'invalid_request');
    const user = await signup();
    await expectError(await call('/v1/admin/outbox', { token: user.access_token }), 401, 'unauthorized');
    await expectError(await call('/v1/admin/outbox'), 401, 'unauthorized');
  });
});
