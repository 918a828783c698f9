import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { withinDepth } from '../core/json-depth';
import worker from '../worker/index';
import { BASE, call, expectError, freshIp, signup } from './helpers';
import { connect, type Frames, registerTestDevice } from './realtime-helpers';

type User = Awaited<ReturnType<typeof signup>>;

/** A JSON value nested `depth` levels: arrays inside arrays around a number. */
const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`);

async function eventIds(user: User): Promise<string[]> {
  const response = await call('/v1/events?after=0&limit=500', { token: user.access_token });
  return ((await response.json()) as { events: { id: string }[] }).events.map((e) => e.id);
}

describe('withinDepth', () => {
  it('counts arrays and objects, not scalars', () => {
    expect(withinDepth('text', 0)).toBe(true);
    expect(withinDepth([], 0)).toBe(false);
    expect(withinDepth({ a: [1, { b: null }] }, 3)).toBe(true);
    expect(withinDepth({ a: [1, { b: [] }] }, 3)).toBe(false);
  });

  it('answers for a value far deeper than the stack would allow to walk', () => {
    expect(withinDepth(nested(100_000), 32)).toBe(false);
  });
});

describe('payload depth over HTTP', () => {
  let user: User;
  beforeAll(async () => {
    user = await signup();
  });

  it('refuses a payload nested 3,600 levels with 400 invalid_request and stores nothing', async () => {
    const response = await call('/v1/events', {
      method: 'POST',
      token: user.access_token,
      body: { id: 'deep-http', stream: 'notes', payload: nested(3600) },
    });
    const body = await expectError(response, 400, 'invalid_request');
    expect(body.error.details).toEqual([{ path: 'payload', message: 'must be nested at most 32 levels' }]);
    expect(await eventIds(user)).not.toContain('deep-http');
  });

  it('refuses a deep object inside a wide one, 33 levels', async () => {
    const payload = { a: 1, b: [2, 3], c: { d: nested(32) } };
    const response = await call('/v1/events', {
      method: 'POST',
      token: user.access_token,
      body: { id: 'deep-object', stream: 'notes', payload },
    });
    await expectError(response, 400, 'invalid_request');
  });

  it('accepts a payload nested exactly 32 levels', async () => {
    const response = await call('/v1/events', {
      method: 'POST',
      token: user.access_token,
      body: { id: 'deep-enough', stream: 'notes', payload: nested(32) },
    });
    expect(response.status).toBe(201);
    expect(await eventIds(user)).toContain('deep-enough');
  });
});

describe('payload depth over the socket', () => {
  let user: User;
  let frames: Frames;
  beforeAll(async () => {
    user = await signup();
    ({ frames } = await connect(await registerTestDevice(user.access_token)));
  });

  it('answers a payload nested 3,600 levels with an invalid_request error carrying the event id', async () => {
    const answer = await frames.ask({ type: 'event', id: 'deep-ws', stream: 'notes', payload: nested(3600) });
    expect(answer).toEqual({
      type: 'error',
      id: 'deep-ws',
      code: 'invalid_request',
      message: 'payload: must be nested at most 32 levels',
    });
    expect(await eventIds(user)).not.toContain('deep-ws');
  });

  it('keeps the socket open and working after a deep payload', async () => {
    frames.send({ type: 'event', id: 'deep-again', stream: 'notes', payload: nested(40) });
    expect(await frames.next()).toMatchObject({ type: 'error', id: 'deep-again', code: 'invalid_request' });
    expect(await frames.ask({ type: 'event', id: 'after-deep', stream: 'notes', payload: nested(32) })).toMatchObject({
      type: 'ack',
      id: 'after-deep',
    });
  });
});

describe('a client that goes away mid-body', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is answered 400 invalid_request, logged as a request and not reported to Sentry', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    const outbound = vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response('{}'));
    const user = await signup();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"id":"cut","stream":"notes","payload":"'));
        controller.error(new Error('Network connection lost.'));
      },
    });
    const headers = new Headers({
      authorization: `Bearer ${user.access_token}`,
      'content-type': 'application/json',
      'cf-connecting-ip': freshIp(),
    });
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${BASE}/v1/events`, { method: 'POST', headers, body, duplex: 'half' } as RequestInit),
      { ...env, SENTRY_DSN: 'https://public@sentry.example/1' } as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    await expectError(response, 400, 'invalid_request');
    expect(errors.filter((line) => line.includes('request failed'))).toEqual([]);
    expect(outbound).not.toHaveBeenCalled();
  });
});
