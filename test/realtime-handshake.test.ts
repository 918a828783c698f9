import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDeviceKey, signHandshake } from '../client/index.ts';
import { call, signup } from './helpers';
import { connect, Frames, nonce, registerTestDevice, type TestDevice } from './realtime-helpers';

type User = Awaited<ReturnType<typeof signup>>;

const hello = (device: TestDevice, clientNonce = nonce()) => ({
  type: 'hello',
  device_id: device.id,
  nonce: clientNonce,
  v: 1,
});

async function expectPolicyClose(frames: Frames, reason: string): Promise<void> {
  expect(await frames.closeCode()).toEqual({ code: 1008, reason });
}

describe('socket handshake', () => {
  let user: User;
  beforeAll(async () => {
    user = await signup();
  });

  it('completes with an Ed25519 key: challenge, then ready with the user and head', async () => {
    const device = await registerTestDevice(user.access_token, 'Ed25519');
    const frames = await Frames.open(device.id);
    const clientNonce = nonce();
    const challenge = await frames.ask(hello(device, clientNonce));
    expect(challenge).toEqual({ type: 'challenge', nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
    const signature = await signHandshake(device.key, device.id, clientNonce, challenge.nonce);
    expect(await frames.ask({ type: 'auth', signature })).toEqual({
      type: 'ready',
      user_id: user.user.id,
      head: 0,
      cursor: 0,
    });
  });

  it('completes with an ECDSA P-256 key (P1363 signature)', async () => {
    const device = await registerTestDevice(user.access_token, 'P-256');
    const { ready } = await connect(device);
    expect(ready).toMatchObject({ type: 'ready', user_id: user.user.id });
  });

  it('reports the head of the log in ready', async () => {
    await call('/v1/events', {
      method: 'POST',
      token: user.access_token,
      body: { id: 'before-ready', stream: 's', payload: 1 },
    });
    const { ready } = await connect(await registerTestDevice(user.access_token));
    expect(ready.head).toBe(1);
  });

  it('answers ping with pong, before and after the handshake', async () => {
    const device = await registerTestDevice(user.access_token);
    const frames = await Frames.open(device.id);
    expect(await frames.ask('ping')).toBe('pong');
    const { frames: ready } = await connect(device);
    expect(await ready.ask('ping')).toBe('pong');
  });

  it('closes with 1008 when auth comes before hello', async () => {
    const device = await registerTestDevice(user.access_token);
    const frames = await Frames.open(device.id);
    frames.send({ type: 'auth', signature: 'AAAA' });
    await expectPolicyClose(frames, 'expected hello');
  });

  it('closes with 1008 when an event comes before the handshake', async () => {
    const device = await registerTestDevice(user.access_token);
    const frames = await Frames.open(device.id);
    frames.send({ type: 'event', id: 'e', stream: 's', payload: 1 });
    await expectPolicyClose(frames, 'expected hello');
  });

  it('closes with 1008 on a second hello instead of auth', async () => {
    const device = await registerTestDevice(user.access_token);
    const frames = await Frames.open(device.id);
    await frames.ask(hello(device));
    frames.send(hello(device));
    await expectPolicyClose(frames, 'expected auth');
  });

  it('closes with 1008 on a malformed hello: not JSON, wrong version, short nonce', async () => {
    const device = await registerTestDevice(user.access_token);
    for (const frame of [
      'hello',
      { ...hello(device), v: 2 },
      { ...hello(device), nonce: 'short' },
      { ...hello(device), extra: 1 },
    ]) {
      const frames = await Frames.open(device.id);
      frames.send(frame);
      await expectPolicyClose(frames, 'expected hello');
    }
  });

  it('closes with 1008 when hello names another device', async () => {
    const device = await registerTestDevice(user.access_token);
    const other = await registerTestDevice(user.access_token);
    const frames = await Frames.open(device.id);
    frames.send(hello(other));
    await expectPolicyClose(frames, 'wrong device');
  });

  it('closes with 1008 on a signature by another key', async () => {
    const device = await registerTestDevice(user.access_token, 'P-256');
    const stranger = await generateDeviceKey('P-256');
    const frames = await Frames.open(device.id);
    const clientNonce = nonce();
    const challenge = await frames.ask(hello(device, clientNonce));
    frames.send({ type: 'auth', signature: await signHandshake(stranger, device.id, clientNonce, challenge.nonce) });
    await expectPolicyClose(frames, 'bad signature');
  });

  it('closes with 1008 on a signature over other nonces (no replay of an old handshake)', async () => {
    const device = await registerTestDevice(user.access_token, 'Ed25519');
    const frames = await Frames.open(device.id);
    const clientNonce = nonce();
    await frames.ask(hello(device, clientNonce));
    frames.send({ type: 'auth', signature: await signHandshake(device.key, device.id, clientNonce, nonce()) });
    await expectPolicyClose(frames, 'bad signature');
  });

  it('closes with 1008 on a signature that is not base64url', async () => {
    const device = await registerTestDevice(user.access_token);
    const frames = await Frames.open(device.id);
    await frames.ask(hello(device));
    frames.send({ type: 'auth', signature: 'not base64url!' });
    await expectPolicyClose(frames, 'expected auth');
  });

  it('closes with 1008 at once when the device is revoked mid-handshake', async () => {
    const device = await registerTestDevice(user.access_token);
    const frames = await Frames.open(device.id);
    const clientNonce = nonce();
    await frames.ask(hello(device, clientNonce));
    expect((await call(`/v1/devices/${device.id}`, { method: 'DELETE', token: user.access_token })).status).toBe(204);
    await expectPolicyClose(frames, 'device revoked');
  });

  it('closes with 1008 when the deadline alarm fires before the handshake ends, sparing ready sockets', async () => {
    const device = await registerTestDevice(user.access_token);
    const { frames: ready } = await connect(device);
    const silent = await Frames.open(device.id);
    const halfway = await Frames.open(device.id);
    await halfway.ask(hello(device));
    const stub = env.DEVICE.getByName(device.id);
    // Each run fires the earliest deadline, then the alarm is set for the next one; the ready
    // socket keeps one set for its ping check, so the runs are counted (three deadlines).
    for (let run = 0; run < 3; run++) expect(await runDurableObjectAlarm(stub)).toBe(true);
    await expectPolicyClose(silent, 'handshake timeout');
    await expectPolicyClose(halfway, 'handshake timeout');
    expect(await ready.ask('ping')).toBe('pong');
    expect(await ready.ask({ type: 'replay', after: 0, limit: 1 })).toMatchObject({ type: 'replay' });
  });

  it('refuses a late frame of a socket whose deadline passed before the alarm ran', async () => {
    const device = await registerTestDevice(user.access_token);
    const frames = await Frames.open(device.id);
    await runInDurableObject(env.DEVICE.getByName(device.id), (_instance, state) => {
      for (const ws of state.getWebSockets()) ws.serializeAttachment({ phase: 'hello', deadline: Date.now() - 1 });
    });
    frames.send(hello(device));
    await expectPolicyClose(frames, 'handshake timeout');
  });

  it('keeps a half-done handshake across eviction (hibernation)', async () => {
    const device = await registerTestDevice(user.access_token);
    const frames = await Frames.open(device.id);
    const clientNonce = nonce();
    const challenge = await frames.ask(hello(device, clientNonce));
    await evictDurableObject(env.DEVICE.getByName(device.id));
    const signature = await signHandshake(device.key, device.id, clientNonce, challenge.nonce);
    expect(await frames.ask({ type: 'auth', signature })).toMatchObject({ type: 'ready' });
  });
});
