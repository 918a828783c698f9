import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { RealtimeEvent, SocketLike, Status } from '../client/index.ts';
import { signup } from './helpers';
import { connect, eventually, registerTestDevice, sdkClient, type TestDevice, workerSocket } from './realtime-helpers';
import { tapped } from './sdk-sockets';

// Default limits throughout (50 frames a second per device, 500 events a replay page).

/** Appends `count` events straight into the user's log, as other devices would while this one is away. */
const appendMany = (userId: string, prefix: string, count: number) =>
  runInDurableObject(env.USER.getByName(userId), async (instance) => {
    for (let i = 0; i < count; i++) {
      const result = await instance.appendEvent({
        id: `${prefix}-${i}`,
        stream: 'bulk',
        key: null,
        baseVersion: null,
        payload: i,
        expiresAt: null,
        deviceId: null,
      });
      if (!result.ok) throw new Error('append failed');
    }
  });

const wholeLog = (userId: string) =>
  runInDurableObject(env.USER.getByName(userId), (instance) => {
    const events: RealtimeEvent[] = [];
    for (let after: number | null = 0; after !== null; ) {
      const page = instance.replayEvents(after, 500);
      events.push(...page.events);
      after = page.next_after;
    }
    return events;
  });

const dropSockets = (device: TestDevice) =>
  runInDurableObject(env.DEVICE.getByName(device.id), (_instance, state) => {
    for (const ws of state.getWebSockets()) ws.close(1011, 'dropped by the test');
  });

const seqsOf = (events: RealtimeEvent[]) => events.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('resuming a cut-short replay', () => {
  it('loses nothing when the socket drops between replay pages with live events buffered', async () => {
    const user = await signup();
    const [a, b] = [await registerTestDevice(user.access_token), await registerTestDevice(user.access_token)];
    await appendMany(user.user.id, 'away', 1100);
    const acks: number[] = [];
    let cue: (() => void) | null = null;
    const secondPageAsked = new Promise<void>((resolve) => {
      cue = resolve;
    });
    let liveSeen = 0;
    let first = true;
    const real = workerSocket();
    const received: RealtimeEvent[] = [];
    const client = sdkClient(a, {
      after: 0,
      onEvent: (event) => void received.push(event),
      socketFactory: async (url) => {
        const socket = await real(url);
        if (!first) return socket;
        first = false;
        return tapped(socket, {
          // The second page is never asked on the first connection: the socket drops before it.
          outgoing: (frame) => {
            if (frame.type === 'ack') acks.push(frame.seq);
            if (frame.type !== 'replay' || frame.after === 0) return true;
            cue?.();
            return false;
          },
          incoming: (frame) => {
            if (frame.type === 'event') liveSeen += 1;
          },
        }) as SocketLike;
      },
    });
    await client.connect();
    await secondPageAsked;
    const { frames } = await connect(b);
    for (let i = 0; i < 5; i++) await frames.ask({ type: 'event', id: `live-${i}`, stream: 'live', payload: i });
    await eventually(() => liveSeen === 5);
    // The first page was handed on; the live events wait for the replay to reach them.
    expect(seqsOf(received)).toEqual(range(1, 500));
    await dropSockets(a);
    await eventually(() => received.length === 1105, 10_000);
    expect(seqsOf(received)).toEqual(range(1, 1105));
    expect(received.slice(-5).map((e) => e.id)).toEqual(['live-0', 'live-1', 'live-2', 'live-3', 'live-4']);
    // Nothing past the first page was acked on the connection that was cut.
    expect(Math.max(0, ...acks)).toBeLessThanOrEqual(500);
    await client.close();
    expect((await connect(a)).ready.cursor).toBe(1105);
  });

  it('sends the replay request before queued events, and retries a refused page after retry_after', async () => {
    const user = await signup();
    const a = await registerTestDevice(user.access_token);
    let gate: (() => void) | null = null;
    const back = new Promise<void>((resolve) => {
      gate = resolve;
    });
    let opened = 0;
    const real = workerSocket();
    const order: string[] = [];
    const received: RealtimeEvent[] = [];
    const statuses: Status[] = [];
    const client = sdkClient(a, {
      onEvent: (event) => void received.push(event),
      onStatus: (status) => void statuses.push(status),
      socketFactory: async (url) => {
        opened += 1;
        if (opened === 2) await back;
        const socket = await real(url);
        return opened === 2
          ? (tapped(socket, {
              outgoing: (frame) => {
                if (frame.type === 'replay' || frame.type === 'event') order.push(frame.type);
                return true;
              },
            }) as SocketLike)
          : socket;
      },
    });
    await client.connect();
    await dropSockets(a);
    await eventually(() => statuses.includes('reconnecting'));
    // Offline: 100 sends queue up, and 600 events of other devices go by.
    const sends = Array.from({ length: 100 }, (_, i) => client.send({ id: `queued-${i}`, stream: 'mine', payload: i }));
    await appendMany(user.user.id, 'other', 600);
    gate!();
    const acks = await Promise.all(sends);
    expect(acks.every((ack) => ack.type === 'ack')).toBe(true);
    expect(order[0]).toBe('replay');
    await eventually(() => received.length === 600, 10_000);
    expect(received.map((e) => e.id)).toEqual(Array.from({ length: 600 }, (_, i) => `other-${i}`));
    // The device's own 100 are in the log once each, and never came back to it.
    const own = (await wholeLog(user.user.id)).filter((e) => e.device_id === a.id).map((e) => e.id);
    expect(own.sort()).toEqual(Array.from({ length: 100 }, (_, i) => `queued-${i}`).sort());
    expect(received.some((e) => e.device_id === a.id)).toBe(false);
    await client.close();
  });
});
