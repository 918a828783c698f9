import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { backoffDelay, RealtimeError, type RealtimeEvent, type Status } from '../client/index.ts';
import { call, signup } from './helpers';
import { connect, eventually, registerTestDevice, sdkClient, type TestDevice } from './realtime-helpers';

type User = Awaited<ReturnType<typeof signup>>;

/** Closes a device's sockets from the server side, as a network drop or a deploy would. */
const dropSockets = (device: TestDevice) =>
  runInDurableObject(env.DEVICE.getByName(device.id), (_instance, state) => {
    for (const ws of state.getWebSockets()) ws.close(1011, 'dropped by the test');
  });

describe('client SDK', () => {
  let user: User;
  beforeAll(async () => {
    user = await signup();
  });

  it('yields other devices’ events in order through the async iterator and acks them', async () => {
    const [a, b] = [await registerTestDevice(user.access_token, 'P-256'), await registerTestDevice(user.access_token)];
    const client = sdkClient(a);
    // Iteration may start before the connection is ready.
    const events = client.events();
    const first = events.next();
    await client.connect();
    expect(client.userId).toBe(user.user.id);
    const { frames } = await connect(b);
    for (let i = 0; i < 3; i++) await frames.ask({ type: 'event', id: `iter-${i}`, stream: 's', payload: i });
    const got: RealtimeEvent[] = [(await first).value as RealtimeEvent];
    for await (const event of events) {
      got.push(event);
      if (got.length === 3) break;
    }
    expect(got.map((e) => e.id)).toEqual(['iter-0', 'iter-1', 'iter-2']);
    await client.close();
    // The first two were finished with when the next was asked for; close() sent that ack.
    const again = await connect(a);
    expect(again.ready.cursor).toBe(got[1]!.seq);
  });

  it('sends events: acks, the same seq for a retried id, conflicts, and refusals as errors', async () => {
    const device = await registerTestDevice(user.access_token);
    const client = sdkClient(device);
    await client.connect();
    const ack = await client.send({ id: 'sdk-1', stream: 'docs', key: 'd', base_version: 0, payload: { t: 1 } });
    expect(ack).toMatchObject({ type: 'ack', id: 'sdk-1', version: 1 });
    expect(await client.send({ id: 'sdk-1', stream: 'docs', key: 'd', base_version: 0, payload: { t: 1 } })).toEqual(
      ack,
    );
    expect(await client.send({ id: 'sdk-2', stream: 'docs', key: 'd', base_version: 0, payload: 2 })).toEqual({
      type: 'conflict',
      id: 'sdk-2',
      key: 'd',
      version: 1,
      payload: { t: 1 },
    });
    const refused = client.send({
      id: 'sdk-3',
      stream: 's',
      payload: 1,
      expires_at: new Date(Date.now() - 3_600_000).toISOString(),
    });
    await expect(refused).rejects.toMatchObject({ name: 'RealtimeError', code: 'invalid_request' });
    await client.close();
    await expect(client.send({ id: 'sdk-4', stream: 's', payload: 1 })).rejects.toBeInstanceOf(RealtimeError);
  });

  it('reconnects after drops and resumes with nothing lost or duplicated, its own events left out', async () => {
    const [a, b] = [await registerTestDevice(user.access_token), await registerTestDevice(user.access_token)];
    const received: RealtimeEvent[] = [];
    const statuses: Status[] = [];
    const client = sdkClient(a, {
      onEvent: (event) => void received.push(event),
      onStatus: (s) => void statuses.push(s),
    });
    await client.connect();
    const { frames } = await connect(b);
    const sentByA: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      await frames.ask({ type: 'event', id: `resume-${i}`, stream: 'r', payload: i });
      if (i === 10 || i === 25) {
        await dropSockets(a);
        // Sent while the socket is down: kept and sent again once the client is back.
        sentByA.push(client.send({ id: `own-${i}`, stream: 'r', payload: i }));
      }
      // A few events go by while A is away; then A is back before the next drop.
      if (i === 15 || i === 30)
        await eventually(() => statuses.filter((s) => s === 'ready').length === (i === 15 ? 2 : 3));
    }
    await Promise.all(sentByA);
    const inStream = () => received.filter((e) => e.stream === 'r');
    await eventually(() => inStream().length >= 40);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The log before this test is replayed too (a new device starts at 0); then exactly B's 40, in order.
    expect(inStream().map((e) => e.id)).toEqual(Array.from({ length: 40 }, (_, i) => `resume-${i}`));
    expect(new Set(received.map((e) => e.seq)).size).toBe(received.length);
    expect(statuses.filter((s) => s === 'reconnecting').length).toBe(2);
    const log = (await (await call('/v1/events?limit=500', { token: user.access_token })).json()) as {
      events: { id: string }[];
    };
    expect(log.events.filter((e) => e.id.startsWith('own-')).map((e) => e.id)).toEqual(['own-10', 'own-25']);
    await client.close();
  });

  it('resumes in a new process from the cursor the device acked', async () => {
    const [a, b] = [await registerTestDevice(user.access_token), await registerTestDevice(user.access_token)];
    const { frames } = await connect(b);
    const first: RealtimeEvent[] = [];
    const one = sdkClient(a, { onEvent: (event) => void first.push(event) });
    await one.connect();
    for (let i = 0; i < 3; i++) await frames.ask({ type: 'event', id: `proc-${i}`, stream: 'p', payload: i });
    await eventually(() => first.filter((e) => e.stream === 'p').length === 3);
    await one.close();
    for (let i = 3; i < 7; i++) await frames.ask({ type: 'event', id: `proc-${i}`, stream: 'p', payload: i });
    const second: RealtimeEvent[] = [];
    const two = sdkClient(a, { onEvent: (event) => void second.push(event) });
    await two.connect();
    await eventually(() => second.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(second.map((e) => e.id)).toEqual(['proc-3', 'proc-4', 'proc-5', 'proc-6']);
    await two.close();
  });

  it('stops on a policy close (revocation) and fails the iterator', async () => {
    const device = await registerTestDevice(user.access_token);
    const statuses: { status: Status; code?: number }[] = [];
    const client = sdkClient(device, {
      onStatus: (status, detail) => void statuses.push({ status, code: detail?.code }),
    });
    await client.connect();
    const drained = (async () => {
      for await (const _event of client.events());
    })().then(
      () => null,
      (error: unknown) => error,
    );
    await call(`/v1/devices/${device.id}`, { method: 'DELETE', token: user.access_token });
    expect(await drained).toMatchObject({ name: 'RealtimeError', code: 'policy', message: 'device revoked' });
    expect(statuses.at(-1)).toEqual({ status: 'closed', code: 1008 });
  });
});

describe('reconnect backoff', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const top = () => 0.999_999;
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, { initialMs: 100, maxMs: 1000 }, top))).toEqual([99, 199, 399, 799]);
    expect(backoffDelay(10, { initialMs: 100, maxMs: 1000 }, top)).toBe(999);
    expect(backoffDelay(5, {}, () => 0)).toBe(0);
  });
});
