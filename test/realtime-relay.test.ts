import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { signHandshake } from '../client/index.ts';
import { EventLog } from '../objects/user/events';
import { call, signup } from './helpers';
import { connect, type Frame, Frames, nonce, registerTestDevice, type TestDevice, UNLIMITED } from './realtime-helpers';

type User = Awaited<ReturnType<typeof signup>>;

const unkeyed = { stream: 'gaps', key: null, baseVersion: null, expiresAt: null, deviceId: null };

/** Reads `count` relayed events from a socket. */
async function receive(frames: Frames, count: number): Promise<Frame[]> {
  const events: Frame[] = [];
  while (events.length < count) {
    const frame = await frames.next();
    if (frame.type === 'event') events.push(frame);
  }
  return events;
}

describe('relay between the devices of one user', () => {
  let user: User;
  let other: User;
  let stranger: Frames;
  beforeAll(async () => {
    other = await signup();
    user = await signup();
    ({ frames: stranger } = await connect(await registerTestDevice(other.access_token)));
  });

  it('relays an event to the other device, not back to the sender', async () => {
    const [a, b] = [await registerTestDevice(user.access_token), await registerTestDevice(user.access_token)];
    const [ca, cb] = [await connect(a), await connect(b)];
    const ack = await ca.frames.ask({
      type: 'event',
      id: 'two-1',
      stream: 'chat',
      key: 'room',
      payload: { text: 'hi' },
    });
    expect(await cb.frames.next()).toEqual({
      type: 'event',
      seq: ack.seq,
      id: 'two-1',
      device_id: a.id,
      stream: 'chat',
      key: 'room',
      version: ack.version,
      payload: { text: 'hi' },
      at: expect.any(String),
    });
    // An echo of a's own event would reach a before this later event from b.
    const later = await cb.frames.ask({ type: 'event', id: 'two-2', stream: 'chat', payload: { text: 'yo' } });
    expect(await ca.frames.next()).toMatchObject({ type: 'event', id: 'two-2', seq: later.seq });
    ca.frames.ws.close(1000);
    cb.frames.ws.close(1000);
  });

  it('relays among five devices: each gets every other device’s events once, in seq order', async () => {
    const devices: TestDevice[] = [];
    for (let i = 0; i < 5; i++) devices.push(await registerTestDevice(user.access_token, i % 2 ? 'P-256' : 'Ed25519'));
    const sockets = await Promise.all(devices.map(async (d) => (await connect(d)).frames));
    const perDevice = 6;
    // Every device sends at once, so relays race each other on the way to each device actor.
    for (let round = 0; round < perDevice; round++) {
      devices.forEach((device, i) => {
        sockets[i]!.send({ type: 'event', id: `five-${device.id}-${round}`, stream: 'burst', payload: round });
      });
    }
    const expected = (devices.length - 1) * perDevice;
    const received = await Promise.all(
      sockets.map(async (frames) => {
        const events: Frame[] = [];
        let acks = 0;
        while (events.length < expected || acks < perDevice) {
          const frame = await frames.next();
          if (frame.type === 'event') events.push(frame);
          else if (frame.type === 'ack') acks++;
          else throw new Error(`unexpected ${JSON.stringify(frame)}`);
        }
        return events;
      }),
    );
    received.forEach((events, i) => {
      const seqs = events.map((e) => e.seq as number);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(events.every((e) => e.device_id !== devices[i]!.id)).toBe(true);
    });
    for (const frames of sockets) frames.ws.close(1000);
  });

  it('relays HTTP appends to every online device, with no device id', async () => {
    const device = await registerTestDevice(user.access_token);
    const { frames } = await connect(device);
    await call('/v1/events', {
      method: 'POST',
      token: user.access_token,
      body: { id: 'from-http', stream: 's', payload: 1 },
    });
    expect(await frames.next()).toMatchObject({ type: 'event', id: 'from-http', device_id: null });
    frames.ws.close(1000);
  });

  it('relays a retried id once', async () => {
    const [a, b] = [await registerTestDevice(user.access_token), await registerTestDevice(user.access_token)];
    const [ca, cb] = [await connect(a), await connect(b)];
    const frame = { type: 'event', id: 'once-only', stream: 's', payload: 1 };
    const first = await ca.frames.ask(frame);
    expect(await ca.frames.ask(frame)).toEqual(first);
    expect((await receive(cb.frames, 1))[0]).toMatchObject({ id: 'once-only' });
    // A second copy of the retried event would reach b before this later one.
    const later = await ca.frames.ask({ type: 'event', id: 'after-once', stream: 's', payload: 2 });
    expect(await cb.frames.next()).toMatchObject({ type: 'event', id: 'after-once', seq: later.seq });
  });

  it('puts relays that arrive out of order back in seq order, filling gaps from the log', async () => {
    const device = await registerTestDevice(user.access_token);
    const { frames, ready } = await connect(device);
    // Stored without relay, then handed to the device actor newest first.
    const stored = await runInDurableObject(env.USER.getByName(user.user.id), (_instance, state) => {
      const log = new EventLog(state.storage.sql, state.storage);
      return [1, 2, 3].map((n) => {
        const result = log.append({ ...unkeyed, id: `gap-${n}`, payload: n }, UNLIMITED);
        if (!result.ok || !result.value.event) throw new Error('append failed');
        return result.value.event;
      });
    });
    const actor = env.DEVICE.getByName(device.id);
    expect(await actor.deliver(stored[2]!)).toBe(true);
    expect(await actor.deliver(stored[0]!)).toBe(true);
    const events = await receive(frames, 3);
    expect(events.map((e) => e.seq)).toEqual([ready.head + 1, ready.head + 2, ready.head + 3]);
    // A duplicate from the late, already covered delivery would arrive before the next event.
    const body = { id: 'after-gaps', stream: 'gaps', payload: 4 };
    expect((await call('/v1/events', { method: 'POST', token: user.access_token, body })).status).toBe(201);
    expect(await frames.next()).toMatchObject({ type: 'event', id: 'after-gaps', seq: ready.head + 4 });
    frames.ws.close(1000);
  });

  it('sends every event after the head it reported in ready, with appends racing the handshake', async () => {
    const device = await registerTestDevice(user.access_token);
    for (let round = 0; round < 8; round++) {
      const frames = await Frames.open(device.id);
      const clientNonce = nonce();
      const challenge = await frames.ask({ type: 'hello', device_id: device.id, nonce: clientNonce, v: 1 });
      frames.send({
        type: 'auth',
        signature: await signHandshake(device.key, device.id, clientNonce, challenge.nonce),
      });
      const body = { id: `racing-${round}`, stream: 'race', payload: round };
      const ack = (await (await call('/v1/events', { method: 'POST', token: user.access_token, body })).json()) as {
        seq: number;
      };
      const ready = await frames.next();
      expect(ready.type).toBe('ready');
      // Either the event was already in the log when ready was sent (head covers it), or it is relayed next.
      if (ready.head < ack.seq) expect(await frames.next()).toMatchObject({ type: 'event', id: body.id });
      else {
        const replay = await frames.ask({ type: 'replay', after: ack.seq - 1, limit: 1 });
        expect(replay.events[0]).toMatchObject({ seq: ack.seq, id: body.id });
      }
      frames.ws.close(1000);
    }
  });

  it('never relays to another user’s device', async () => {
    const { frames: mine } = await connect(await registerTestDevice(user.access_token));
    const response = await call('/v1/events', {
      method: 'POST',
      token: user.access_token,
      body: { id: 'not-for-strangers', stream: 'private', payload: 'secret' },
    });
    expect(response.status).toBe(201);
    // The user's own device hears it, so the relay did run; the other user's device does not.
    expect(await mine.next()).toMatchObject({ type: 'event', id: 'not-for-strangers' });
    // The other user's own event, appended after, is the first frame their device gets.
    const body = { id: 'for-the-other', stream: 'private', payload: 'theirs' };
    expect((await call('/v1/events', { method: 'POST', token: other.access_token, body })).status).toBe(201);
    expect(await stranger.next()).toMatchObject({ type: 'event', id: 'for-the-other' });
    mine.ws.close(1000);
    const theirs = (await (await call('/v1/events', { token: other.access_token })).json()) as {
      events: { id: string }[];
    };
    expect(theirs.events.map((e) => e.id)).toEqual(['for-the-other']);
  });
});

describe('revocation mid-stream', () => {
  let user: User;
  beforeAll(async () => {
    user = await signup();
  });

  it('closes the revoked device’s socket at once while the others carry on', async () => {
    const [a, b] = [await registerTestDevice(user.access_token), await registerTestDevice(user.access_token)];
    const [ca, cb] = [await connect(a), await connect(b)];
    await ca.frames.ask({ type: 'event', id: 'pre-revoke', stream: 's', payload: 1 });
    expect((await receive(cb.frames, 1))[0]).toMatchObject({ id: 'pre-revoke' });
    expect((await call(`/v1/devices/${b.id}`, { method: 'DELETE', token: user.access_token })).status).toBe(204);
    expect(await cb.frames.closeCode()).toEqual({ code: 1008, reason: 'device revoked' });
    expect(await ca.frames.ask({ type: 'event', id: 'post-revoke', stream: 's', payload: 2 })).toMatchObject({
      type: 'ack',
    });
    const devices = (await (await call('/v1/devices', { token: user.access_token })).json()) as {
      devices: { id: string; online: boolean }[];
    };
    expect(devices.devices.find((d) => d.id === b.id)?.online).toBe(false);
    expect(devices.devices.find((d) => d.id === a.id)?.online).toBe(true);
  });

  it('checks the stored revoked flag on every message', async () => {
    const device = await registerTestDevice(user.access_token);
    const { frames } = await connect(device);
    // The flag alone, without the sockets being closed: the next frame must still be refused.
    await runInDurableObject(env.DEVICE.getByName(device.id), (_instance, state) => {
      state.storage.kv.put('revoked', true);
    });
    frames.send({ type: 'event', id: 'after-flag', stream: 's', payload: 1 });
    expect(await frames.closeCode()).toEqual({ code: 1008, reason: 'device revoked' });
    const log = (await (await call('/v1/events?limit=500', { token: user.access_token })).json()) as {
      events: { id: string }[];
    };
    expect(log.events.map((e) => e.id)).not.toContain('after-flag');
  });
});

describe('hibernation', () => {
  it('keeps sockets, handshake state and cursors when the actors are evicted', async () => {
    const user = await signup();
    const [a, b] = [await registerTestDevice(user.access_token), await registerTestDevice(user.access_token)];
    const [ca, cb] = [await connect(a), await connect(b)];
    const first = await ca.frames.ask({ type: 'event', id: 'h-1', stream: 's', payload: 1 });
    await receive(cb.frames, 1);
    cb.frames.send({ type: 'ack', seq: first.seq });
    await evictDurableObject(env.DEVICE.getByName(a.id));
    await evictDurableObject(env.DEVICE.getByName(b.id));
    await evictDurableObject(env.USER.getByName(user.user.id));
    expect(await ca.frames.ask({ type: 'event', id: 'h-2', stream: 's', payload: 2 })).toMatchObject({
      type: 'ack',
      seq: first.seq + 1,
    });
    expect((await receive(cb.frames, 1))[0]).toMatchObject({ id: 'h-2', seq: first.seq + 1 });
    cb.frames.send({ type: 'event', id: 'h-3', stream: 's', payload: 3 });
    expect((await receive(ca.frames, 1))[0]).toMatchObject({ id: 'h-3' });
    const again = await connect(b);
    expect(again.ready).toMatchObject({ head: first.seq + 2, cursor: first.seq });
  });
});

describe('account deletion', () => {
  it('exports the event log, then closes the user’s sockets and wipes it', async () => {
    const user = await signup();
    const device = await registerTestDevice(user.access_token);
    const { frames } = await connect(device);
    await frames.ask({ type: 'event', id: 'kept', stream: 's', payload: { secret: false } });
    const exported = (await (await call('/v1/me/export', { token: user.access_token })).json()) as {
      events: { id: string }[];
    };
    expect(exported.events).toEqual([expect.objectContaining({ id: 'kept', payload: { secret: false } })]);
    const deleted = await call('/v1/me', {
      method: 'DELETE',
      token: user.access_token,
      body: { password: user.password },
    });
    expect(deleted.status).toBe(204);
    expect((await frames.closeCode()).code).toBe(1008);
    const left = await runInDurableObject(env.USER.getByName(user.user.id), (_instance, state) =>
      state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM events').one(),
    );
    expect(left.n).toBe(0);
  });
});
