import { createExecutionContext, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { decodeJwt } from 'jose';
import { Webhook } from 'standardwebhooks';
import * as v from 'valibot';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configFrom } from '../core/config';
import { WEBHOOK_EVENTS, type WebhookType, webhookBody } from '../core/schemas/webhooks';
import { Courier } from '../objects/user/courier';
import { Outbox } from '../objects/user/outbox';
import { audit } from '../worker/auth/audit';
import { hook } from '../worker/auth/hooks';
import { createContext } from '../worker/context';
import { call, freshIp, login, signup } from './helpers';
import { outboxDrained } from './mail';

const secret = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
const target = { url: 'https://hooks.test/in', secret };
/** The configuration of a deployment with WEBHOOK_URL set (the test Worker has none). */
const withHooks = () => ({ ...configFrom(env), webhook: target });
const requestContext = () => createContext(new Request('http://x/'), env, createExecutionContext(), withHooks());
const held = (userId: string) => env.USER.getByName(userId).outboxMessages();

/** The app's receiver: answers `status()` and keeps what it accepted. */
function receiver(status: () => number) {
  const received: { headers: Record<string, string>; body: string }[] = [];
  const tries: string[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const host = new URL(request.url).host;
    if (host === 'mail.test') return new Response(null, { status: 204 });
    if (host !== 'hooks.test') return new Response('unmocked', { status: 599 });
    const body = await request.text();
    const headers = Object.fromEntries(request.headers);
    tries.push(headers['webhook-id']!);
    const answer = status();
    if (answer < 300) received.push({ headers, body });
    return new Response(null, { status: answer });
  });
  return { received, tries };
}

/** Delivers the user's outbox as a deployment with WEBHOOK_URL would, `ahead` ms from now. */
const deliver = (userId: string, ahead: number) =>
  runInDurableObject(env.USER.getByName(userId), (_instance, ctx) =>
    new Courier(new Outbox(ctx.storage.sql), env, withHooks, userId).run(Date.now() + ahead),
  );

describe('outgoing webhooks for the app', () => {
  afterEach(() => vi.restoreAllMocks());

  it('queues nothing when WEBHOOK_URL is unset', async () => {
    const user = await signup();
    await outboxDrained(user.user.id);
    const rc = createContext(new Request('http://x/'), env, createExecutionContext(), configFrom(env));
    await audit(rc, user.user.id, 'logout', { session_id: 'ses-1' });
    await hook(rc, user.user.id, 'email.verified', { email: user.email });
    expect(await held(user.user.id)).toEqual([]);
  });

  it('delivers signed events in order, as documented, each with a stable id', async () => {
    const user = await signup();
    await outboxDrained(user.user.id);
    const rc = requestContext();
    await audit(rc, user.user.id, 'device_registered', { device_id: 'dev-1', name: 'phone' });
    await hook(rc, user.user.id, 'email.verified', { email: user.email });
    await audit(rc, user.user.id, 'logout', { session_id: 'ses-1' });
    // This Worker has no WEBHOOK_URL, so its own alarm fails the head once; the rest wait behind it.
    await vi.waitFor(async () => expect((await held(user.user.id))[0]?.attempts).toBe(1));
    const queued = await held(user.user.id);
    expect(queued.map((m) => [m.channel, m.attempts])).toEqual([
      ['hook', 1],
      ['hook', 0],
      ['hook', 0],
    ]);

    let answer = 503;
    const app = receiver(() => answer);
    await deliver(user.user.id, 60_000);
    expect(app.tries).toEqual([queued[0]!.id]);
    answer = 204;
    await deliver(user.user.id, 10 * 60_000);
    expect(app.tries).toEqual([queued[0]!.id, ...queued.map((m) => m.id)]);
    expect(await held(user.user.id)).toEqual([]);

    const bodies = app.received.map(({ headers, body }) => new Webhook(secret).verify(body, headers));
    expect(bodies).toEqual([
      { type: 'device.registered', timestamp: expect.any(String), data: { user_id: user.user.id, device_id: 'dev-1' } },
      { type: 'email.verified', timestamp: expect.any(String), data: { user_id: user.user.id, email: user.email } },
      { type: 'session.revoked', timestamp: expect.any(String), data: { user_id: user.user.id, session_id: 'ses-1' } },
    ]);
    for (const body of bodies as { type: WebhookType }[]) expect(v.is(webhookBody(body.type), body)).toBe(true);
    // A forged signature does not verify.
    const first = app.received[0]!;
    expect(() => new Webhook(secret).verify(first.body.replace('dev-1', 'dev-2'), first.headers)).toThrow();
  });

  it('tells the app about each sign-in and, after the erasure, about the deleted account', async () => {
    const app = receiver(() => 204);
    const user = await signup();
    await outboxDrained(user.user.id);
    // This actor runs as a deployment with WEBHOOK_URL set would.
    await runInDurableObject(env.USER.getByName(user.user.id), (instance) => {
      Reflect.set(instance, 'env', { ...env, WEBHOOK_URL: target.url, WEBHOOK_SECRET: secret });
    });
    const signedIn = (await (await login(user.email, user.password, freshIp())).json()) as { access_token: string };
    const { sid } = decodeJwt(signedIn.access_token) as { sid: string };
    await vi.waitFor(() => expect(app.received).toHaveLength(1));
    expect(new Webhook(secret).verify(app.received[0]!.body, app.received[0]!.headers)).toMatchObject({
      type: 'session.created',
      data: { user_id: user.user.id, session_id: sid },
    });

    const erased = await call('/v1/me', {
      method: 'DELETE',
      token: signedIn.access_token,
      body: { password: user.password },
    });
    expect(erased.status).toBe(204);
    await vi.waitFor(() => expect(app.received).toHaveLength(2));
    expect(new Webhook(secret).verify(app.received[1]!.body, app.received[1]!.headers)).toMatchObject({
      type: 'user.deleted',
      data: { user_id: user.user.id },
    });
    await outboxDrained(user.user.id);
  });

  it('are listed in /openapi.json under webhooks, with the signature headers', async () => {
    const document = (await (await call('/openapi.json')).json()) as {
      webhooks: Record<string, { post: { parameters: { name: string }[] } }>;
    };
    expect(Object.keys(document.webhooks).sort()).toEqual(Object.keys(WEBHOOK_EVENTS).sort());
    expect(document.webhooks['user.created']!.post.parameters.map((p) => p.name)).toEqual([
      'webhook-id',
      'webhook-timestamp',
      'webhook-signature',
    ]);
  });
});
