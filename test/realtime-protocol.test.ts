import { beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, signup } from './helpers';
import { connect, registerTestDevice } from './realtime-helpers';

type User = Awaited<ReturnType<typeof signup>>;

describe('socket protocol', () => {
  let user: User;
  beforeAll(async () => {
    user = await signup();
  });

  it('answers a client’s close with the same code and reason', async () => {
    for (const [code, reason] of [
      [1000, 'bye'],
      [4001, 'app closing'],
    ] as const) {
      const { frames } = await connect(await registerTestDevice(user.access_token));
      frames.ws.close(code, reason);
      expect(await frames.closeCode()).toEqual({ code, reason });
    }
  });

  it('echoes a replay request’s id in its answer', async () => {
    const { frames } = await connect(await registerTestDevice(user.access_token));
    expect(await frames.ask({ type: 'replay', id: 'page-7', after: 0, limit: 1 })).toMatchObject({
      type: 'replay',
      id: 'page-7',
    });
    expect(await frames.ask({ type: 'replay', after: 0, limit: 1 })).not.toHaveProperty('id');
  });

  it('refuses an event id reused for a different event with a conflict error, and acks the same event again', async () => {
    const { frames } = await connect(await registerTestDevice(user.access_token));
    const event = { type: 'event', id: 'reuse-1', stream: 'notes', key: 'n1', base_version: 0, payload: { t: 'a' } };
    const ack = await frames.ask(event);
    expect(ack).toMatchObject({ type: 'ack', id: 'reuse-1', version: 1 });
    expect(await frames.ask(event)).toEqual(ack);
    for (const changed of [
      { ...event, payload: { t: 'b' } },
      { ...event, stream: 'other' },
      { ...event, key: 'n2' },
      { ...event, base_version: 1 },
    ]) {
      expect(await frames.ask(changed)).toEqual({
        type: 'error',
        id: 'reuse-1',
        code: 'conflict',
        message: 'This id was used for a different event.',
      });
    }
    const log = (await (await call('/v1/events?limit=500', { token: user.access_token })).json()) as {
      events: { id: string }[];
    };
    expect(log.events.filter((e) => e.id === 'reuse-1')).toHaveLength(1);
  });

  it('answers 409 conflict over HTTP for an id reused with another body', async () => {
    const post = (body: unknown) => call('/v1/events', { method: 'POST', token: user.access_token, body });
    const first = await post({ id: 'http-reuse', stream: 's', payload: 1 });
    expect(first.status).toBe(201);
    const again = await post({ id: 'http-reuse', stream: 's', payload: 1 });
    expect(await again.json()).toEqual(await first.json());
    const body = await expectError(await post({ id: 'http-reuse', stream: 's', payload: 2 }), 409, 'conflict');
    expect(body).toMatchObject({ id: 'http-reuse' });
  });
});
