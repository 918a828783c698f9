import { describe, expect, it } from 'vitest';
import { generateDeviceKey, memoryOutboxStore, type RealtimeEvent, type Status } from '../client/index.ts';
import { signup } from './helpers';
import { connect, eventually, registerTestDevice, sdkClient, workerSocket } from './realtime-helpers';

describe('connect() settles', () => {
  it('rejects on a policy close (unknown device) and does not try again', async () => {
    let opened = 0;
    const statuses: { status: Status; code?: number }[] = [];
    const real = workerSocket();
    const client = sdkClient(
      { id: 'never-registered', key: await generateDeviceKey() },
      {
        socketFactory: (url) => {
          opened += 1;
          return real(url);
        },
        onStatus: (status, detail) => void statuses.push({ status, code: detail?.code }),
      },
    );
    await expect(client.connect()).rejects.toMatchObject({
      name: 'RealtimeError',
      code: 'policy',
      message: 'unknown or revoked device',
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(opened).toBe(1);
    expect(statuses.at(-1)).toEqual({ status: 'closed', code: 1008 });
  });

  it('rejects as unreachable after maxAttempts failed attempts in a row', async () => {
    let opened = 0;
    const client = sdkClient(
      { id: 'x', key: await generateDeviceKey() },
      {
        maxAttempts: 3,
        socketFactory: () => {
          opened += 1;
          throw new Error('network down');
        },
      },
    );
    await expect(client.connect()).rejects.toMatchObject({ code: 'unreachable' });
    expect(opened).toBe(3);
  });

  it('rejects as timeout after connectTimeoutMs, and stops trying', async () => {
    let opened = 0;
    const client = sdkClient(
      { id: 'x', key: await generateDeviceKey() },
      {
        connectTimeoutMs: 100,
        socketFactory: () => {
          opened += 1;
          throw new Error('network down');
        },
      },
    );
    await expect(client.connect()).rejects.toMatchObject({ code: 'timeout' });
    const after = opened;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(opened).toBe(after);
  });

  it('opens one connection however often connect() is called', async () => {
    const user = await signup();
    const device = await registerTestDevice(user.access_token);
    let opened = 0;
    const real = workerSocket();
    const client = sdkClient(device, {
      socketFactory: (url) => {
        opened += 1;
        return real(url);
      },
    });
    await Promise.all([client.connect(), client.connect()]);
    await client.connect();
    expect(opened).toBe(1);
    await client.close();
  });

  it('reconnectNow() skips the backoff wait', async () => {
    const user = await signup();
    const device = await registerTestDevice(user.access_token);
    let opened = 0;
    const real = workerSocket();
    const client = sdkClient(device, {
      backoff: { initialMs: 60_000, maxMs: 60_000 },
      random: () => 0.99,
      socketFactory: (url) => {
        opened += 1;
        if (opened === 1) throw new Error('network down');
        return real(url);
      },
    });
    const connected = client.connect();
    await eventually(() => opened === 1);
    client.reconnectNow();
    await connected;
    expect(opened).toBe(2);
    await client.close();
  });
});

describe('own events', () => {
  it('are never delivered to the device that sent them, also to a new process replaying from 0', async () => {
    const user = await signup();
    const [a, b] = [await registerTestDevice(user.access_token), await registerTestDevice(user.access_token)];
    const one = sdkClient(a);
    await one.connect();
    for (let i = 0; i < 3; i++) await one.send({ id: `mine-${i}`, stream: 's', payload: i });
    await one.close();
    const { frames } = await connect(b);
    await frames.ask({ type: 'event', id: 'theirs', stream: 's', payload: 0 });
    const received: RealtimeEvent[] = [];
    const two = sdkClient(a, { after: 0, onEvent: (event) => void received.push(event) });
    await two.connect();
    await eventually(() => received.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received.map((e) => e.id)).toEqual(['theirs']);
    await two.close();
    // Its own events were finished with too: the acked cursor is past them.
    expect((await connect(a)).ready.cursor).toBe(4);
  });
});

describe('the outbox store', () => {
  it('resends after a restart what was sent and never answered, and the log holds it once', async () => {
    const user = await signup();
    const device = await registerTestDevice(user.access_token);
    const store = memoryOutboxStore();
    // The first run never gets a connection, then is abandoned (a crash).
    const first = sdkClient(device, {
      store,
      connectTimeoutMs: Number.POSITIVE_INFINITY,
      socketFactory: () => new Promise(() => {}),
    });
    void first.connect();
    void first.send({ id: 'crash-1', stream: 's', payload: 1 });
    void first.send({ id: 'crash-2', stream: 's', payload: 2 });
    await eventually(async () => (await store.load()).pending.length === 2);
    const second = sdkClient(device, { store, onEvent: () => {} });
    await second.connect();
    await eventually(async () => (await store.load()).pending.length === 0);
    const { frames } = await connect(await registerTestDevice(user.access_token));
    const page = await frames.ask({ type: 'replay', after: 0 });
    expect(page.events.map((e: RealtimeEvent) => e.id)).toEqual(['crash-1', 'crash-2']);
    // The acked cursor is kept too, for the next run to resume from.
    await frames.ask({ type: 'event', id: 'from-other', stream: 's', payload: 3 });
    await eventually(async () => (await store.load()).cursor === 3);
    await second.close();
  });
});
