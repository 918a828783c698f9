import { beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, signup } from './helpers';
import { connect, type Frames, registerTestDevice } from './realtime-helpers';

type User = Awaited<ReturnType<typeof signup>>;

const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();

async function replayAll(user: User): Promise<{ seq: number; id: string }[]> {
  const response = await call('/v1/events?after=0&limit=500', { token: user.access_token });
  return ((await response.json()) as { events: { seq: number; id: string }[] }).events;
}

describe('appending over the socket', () => {
  let user: User;
  let frames: Frames;
  beforeAll(async () => {
    user = await signup();
    ({ frames } = await connect(await registerTestDevice(user.access_token)));
  });

  it('acks an event with the next seq, without a version when it has no key', async () => {
    expect(await frames.ask({ type: 'event', id: 'first', stream: 'notes', payload: { text: 'hi' } })).toEqual({
      type: 'ack',
      id: 'first',
      seq: 1,
      version: null,
    });
    expect(await frames.ask({ type: 'event', id: 'second', stream: 'notes', payload: null })).toMatchObject({ seq: 2 });
  });

  it('acks a retried id with its first seq and appends nothing', async () => {
    const first = await frames.ask({ type: 'event', id: 'retry-me', stream: 'notes', payload: 1 });
    const again = await frames.ask({ type: 'event', id: 'retry-me', stream: 'notes', payload: 1 });
    expect(again).toEqual(first);
    expect((await replayAll(user)).filter((e) => e.id === 'retry-me')).toHaveLength(1);
  });

  it('versions keyed events and answers a stale base_version with the current state', async () => {
    const write = (id: string, extra: Record<string, unknown>) =>
      frames.ask({ type: 'event', id, stream: 'docs', key: 'doc:1', payload: { v: id }, ...extra });
    expect(await write('k1', { base_version: 0 })).toMatchObject({ type: 'ack', version: 1 });
    const before = (await replayAll(user)).length;
    expect(await write('k2', { base_version: 0 })).toEqual({
      type: 'conflict',
      id: 'k2',
      key: 'doc:1',
      version: 1,
      payload: { v: 'k1' },
    });
    expect(await replayAll(user)).toHaveLength(before);
    expect(await write('k3', { base_version: 1 })).toMatchObject({ type: 'ack', version: 2 });
    expect(await write('k4', {})).toMatchObject({ type: 'ack', version: 3 });
  });

  it('keeps versions per stream and key', async () => {
    const ack = await frames.ask({
      type: 'event',
      id: 'other-stream',
      stream: 'other',
      key: 'doc:1',
      base_version: 0,
      payload: 1,
    });
    expect(ack).toMatchObject({ type: 'ack', version: 1 });
  });

  it('answers a retried id that once conflicted by trying it again', async () => {
    const conflict = await frames.ask({
      type: 'event',
      id: 'late',
      stream: 'docs',
      key: 'doc:2',
      base_version: 5,
      payload: 1,
    });
    expect(conflict).toMatchObject({ type: 'conflict', version: 0, payload: null });
    expect(
      await frames.ask({ type: 'event', id: 'late', stream: 'docs', key: 'doc:2', base_version: 0, payload: 1 }),
    ).toMatchObject({
      type: 'ack',
      version: 1,
    });
  });

  it('accepts expires_at up to 5 minutes in the past, and leaves expired events out of replay', async () => {
    const past = await frames.ask({ type: 'event', id: 'skewed', stream: 's', payload: 1, expires_at: minutes(-4.8) });
    expect(past).toMatchObject({ type: 'ack' });
    const future = await frames.ask({ type: 'event', id: 'fresh', stream: 's', payload: 1, expires_at: minutes(10) });
    expect(future).toMatchObject({ type: 'ack', seq: past.seq + 1 });
    const ids = (await replayAll(user)).map((e) => e.id);
    expect(ids).toContain('fresh');
    expect(ids).not.toContain('skewed');
  });

  it('refuses expires_at more than 5 minutes in the past', async () => {
    expect(
      await frames.ask({ type: 'event', id: 'stale', stream: 's', payload: 1, expires_at: minutes(-5.2) }),
    ).toEqual({
      type: 'error',
      id: 'stale',
      code: 'invalid_request',
      message: expect.stringContaining('expires_at'),
    });
  });

  it('refuses a payload over 32 KiB with payload_too_large', async () => {
    const answer = await frames.ask({ type: 'event', id: 'big', stream: 's', payload: 'x'.repeat(33 * 1024) });
    expect(answer).toMatchObject({ type: 'error', id: 'big', code: 'payload_too_large' });
  });
});

describe('garbage frames after the handshake', () => {
  let frames: Frames;
  beforeAll(async () => {
    const user = await signup();
    ({ frames } = await connect(await registerTestDevice(user.access_token)));
  });

  const stillOpen = async () => expect(await frames.ask('ping')).toBe('pong');

  it('answers non-JSON with an error and stays open', async () => {
    expect(await frames.ask('this is not json')).toMatchObject({ type: 'error', code: 'invalid_request' });
    await stillOpen();
  });

  it('answers a binary frame with an error', async () => {
    frames.ws.send(new Uint8Array([1, 2, 3]));
    expect(await frames.next()).toMatchObject({ type: 'error', code: 'invalid_request' });
    await stillOpen();
  });

  it('answers a frame over 64 KiB with payload_too_large', async () => {
    expect(await frames.ask(JSON.stringify({ type: 'event', pad: 'x'.repeat(70 * 1024) }))).toMatchObject({
      type: 'error',
      code: 'payload_too_large',
    });
    await stillOpen();
  });

  it('answers unknown types, missing and extra fields, and bad names with an error', async () => {
    const frames_: unknown[] = [
      { type: 'subscribe' },
      { nope: true },
      [1, 2],
      42,
      { type: 'event', id: 'no-stream', payload: 1 },
      { type: 'event', id: 'no-payload', stream: 's' },
      { type: 'event', id: 'extra', stream: 's', payload: 1, color: 'red' },
      { type: 'event', id: 'bad id!', stream: 's', payload: 1 },
      { type: 'event', id: 'x'.repeat(129), stream: 's', payload: 1 },
      { type: 'event', id: 'unkeyed', stream: 's', base_version: 1, payload: 1 },
      { type: 'event', id: 'when', stream: 's', payload: 1, expires_at: 'tomorrow' },
      { type: 'replay', after: -1 },
      { type: 'replay', after: 0, limit: 501 },
      { type: 'ack', seq: 'one' },
      { type: 'hello', device_id: 'x', nonce: 'y', v: 1 },
    ];
    for (const frame of frames_) {
      expect(await frames.ask(frame)).toMatchObject({
        type: 'error',
        code: 'invalid_request',
        message: expect.any(String),
      });
    }
    expect(await frames.ask({ type: 'event', id: 'extra', stream: 's', payload: 1, color: 'red' })).toMatchObject({
      id: 'extra',
    });
    await stillOpen();
    expect(await frames.ask({ type: 'event', id: 'after-garbage', stream: 's', payload: 1 })).toMatchObject({
      type: 'ack',
    });
  });
});

describe('per-device message limit', () => {
  it('answers rate_limited with retry_after and the refused frame’s id, without closing', async () => {
    const user = await signup();
    const { frames } = await connect(await registerTestDevice(user.access_token));
    for (let i = 0; i < 60; i++) frames.send({ type: 'ack', seq: 0 });
    frames.send({ type: 'event', id: 'over', stream: 's', payload: 1 });
    frames.send({ type: 'replay', id: 'page-1', after: 0 });
    const refusals = [];
    for (let i = 0; i < 12; i++) refusals.push(await frames.next());
    expect(refusals[0]).toEqual({ type: 'error', code: 'rate_limited', message: expect.any(String), retry_after: 1 });
    expect(refusals.slice(-2)).toEqual([
      { type: 'error', id: 'over', code: 'rate_limited', message: expect.any(String), retry_after: 1 },
      { type: 'error', id: 'page-1', code: 'rate_limited', message: expect.any(String), retry_after: 1 },
    ]);
    expect(await frames.ask('ping')).toBe('pong');
  });
});

describe('events over HTTP', () => {
  let user: User;
  beforeAll(async () => {
    user = await signup();
  });

  const post = (body: unknown) => call('/v1/events', { method: 'POST', token: user.access_token, body });

  it('appends and answers the ack, the same for a retried id', async () => {
    const first = await post({ id: 'h1', stream: 'notes', payload: { a: 1 } });
    expect(first.status).toBe(201);
    const ack = await first.json();
    expect(ack).toEqual({ id: 'h1', seq: expect.any(Number), version: null });
    const again = await post({ type: 'event', id: 'h1', stream: 'notes', payload: { a: 1 } });
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(ack);
  });

  it('answers a version conflict with 409 and the current state beside the error', async () => {
    expect((await post({ id: 'c1', stream: 'docs', key: 'k', base_version: 0, payload: 'one' })).status).toBe(201);
    const response = await post({ id: 'c2', stream: 'docs', key: 'k', base_version: 0, payload: 'two' });
    const body = (await expectError(response, 409, 'conflict')) as unknown as Record<string, unknown>;
    expect(body).toMatchObject({ id: 'c2', key: 'k', version: 1, payload: 'one' });
  });

  it('refuses stale expires_at, oversized payloads and malformed bodies', async () => {
    const stale = await expectError(
      await post({ id: 'old', stream: 's', payload: 1, expires_at: minutes(-6) }),
      400,
      'invalid_request',
    );
    expect(stale.error.details).toEqual([{ path: 'expires_at', message: 'is more than 5 minutes in the past' }]);
    await expectError(await post({ id: 'big', stream: 's', payload: 'x'.repeat(40 * 1024) }), 413, 'payload_too_large');
    const missing = await expectError(await post({ id: 'm', payload: 1 }), 400, 'invalid_request');
    expect(missing.error.details.map((d) => d.path)).toContain('stream');
    const unkeyed = await expectError(
      await post({ id: 'u', stream: 's', payload: 1, base_version: 2 }),
      400,
      'invalid_request',
    );
    expect(unkeyed.error.details).toContainEqual({ path: 'base_version', message: 'needs a key' });
    await expectError(await post({ id: 'u', stream: 's', payload: 1, type: 'ack' }), 400, 'invalid_request');
    await expectError(await post('{"id":'), 400, 'invalid_request');
  });

  it('replays with the limit bounded to 1..500 and 100 by default', async () => {
    for (const query of ['limit=0', 'limit=501', 'limit=ten', 'after=-1', 'after=1.5', 'since=3']) {
      await expectError(await call(`/v1/events?${query}`, { token: user.access_token }), 400, 'invalid_request');
    }
    const page = (await (await call('/v1/events', { token: user.access_token })).json()) as {
      events: unknown[];
      next_after: null;
    };
    expect(page.next_after).toBeNull();
    expect(page.events.length).toBeGreaterThan(0);
  });

  it('needs a token, and a write scope to append', async () => {
    await expectError(await call('/v1/events'), 401, 'unauthorized');
    const created = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'ro', scopes: ['read'] },
    });
    const { key } = (await created.json()) as { key: string };
    expect((await call('/v1/events', { token: key })).status).toBe(200);
    await expectError(
      await call('/v1/events', { method: 'POST', token: key, body: { id: 'k', stream: 's', payload: 1 } }),
      403,
      'forbidden',
    );
  });
});
