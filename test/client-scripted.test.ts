import { describe, expect, it } from 'vitest';
import {
  generateDeviceKey,
  RealtimeClient,
  type RealtimeClientOptions,
  type RealtimeEvent,
  type SnapshotItem,
  type SnapshotPage,
  snapshotLoader,
} from '../client/index.ts';
import { eventually, type Frame } from './realtime-helpers';
import { handshakeThen, scriptedFactory } from './sdk-sockets';

// Frames the server under test does not send yet (durability: resync_required, quota_exceeded),
// and a server that goes silent, answered by a scripted socket.

const event = (seq: number): RealtimeEvent => ({
  seq,
  id: `e-${seq}`,
  device_id: 'other',
  stream: 's',
  key: null,
  version: null,
  payload: seq,
  at: new Date(0).toISOString(),
});

const item = (key: string, seq: number): SnapshotItem => ({
  stream: 'notes',
  key,
  version: 1,
  seq,
  id: `e-${seq}`,
  device_id: 'other',
  payload: key,
  at: new Date(0).toISOString(),
});

async function client(answer: Parameters<typeof scriptedFactory>[0], options: Partial<RealtimeClientOptions> = {}) {
  const { factory, sockets } = scriptedFactory(handshakeThen('u1', answer));
  const instance = new RealtimeClient({
    baseUrl: 'https://api.example',
    deviceId: 'dev',
    key: await generateDeviceKey(),
    socketFactory: factory,
    backoff: { initialMs: 5, maxMs: 10 },
    ackDelayMs: 5,
    ...options,
  });
  return { client: instance, sockets };
}

describe('resync_required', () => {
  const horizon = 100;
  const pages: Record<string, SnapshotPage> = {
    first: { items: [item('a', 40), item('b', 90)], next_cursor: 'c2', head: 120 },
    c2: { items: [item('c', 110)], next_cursor: null, head: 121 },
  };
  const server = (frame: Frame): Frame[] | undefined => {
    if (frame.type !== 'replay') return undefined;
    if (frame.after < horizon) return [{ type: 'resync_required', horizon }];
    return [{ type: 'replay', id: frame.id, events: [event(121), event(122)], next_after: null }];
  };

  it('loads every snapshot page, hands the items on, then replays after the head', async () => {
    const cursors: (string | null)[] = [];
    const snapshot: SnapshotItem[] = [];
    const received: RealtimeEvent[] = [];
    const { client: c, sockets } = await client(server, {
      after: 0,
      fetchSnapshot: async (cursor) => {
        cursors.push(cursor);
        return pages[cursor ?? 'first']!;
      },
      onSnapshot: (items) => void snapshot.push(...items),
      onEvent: (e) => void received.push(e),
    });
    await c.connect();
    await eventually(() => received.length === 2);
    expect(cursors).toEqual([null, 'c2']);
    expect(snapshot.map((i) => i.key)).toEqual(['a', 'b', 'c']);
    expect(received.map((e) => e.seq)).toEqual([121, 122]);
    const replays = sockets[0]!.sent.filter((f) => f.type === 'replay');
    expect(replays.map((f) => f.after)).toEqual([0, 120]);
    await eventually(() => sockets[0]!.sent.some((f) => f.type === 'ack' && f.seq === 122));
    await c.close();
  });

  it('fails the iterator with resync_required when no fetchSnapshot is given', async () => {
    const { client: c } = await client(server, { after: 0 });
    await c.connect();
    await expect(c.events().next()).rejects.toMatchObject({ name: 'RealtimeError', code: 'resync_required' });
  });
});

describe('snapshotLoader', () => {
  it('asks for each page with a current token and the cursor, and hands errors back typed', async () => {
    const asked: string[] = [];
    const load = snapshotLoader({
      baseUrl: 'https://api.example',
      accessToken: async () => 'token-1',
      limit: 2,
      fetch: async (input, init) => {
        asked.push(`${String(input)} ${new Headers(init?.headers).get('authorization')}`);
        if (String(input).includes('cursor=bad')) {
          return Response.json({ error: { code: 'invalid_request', message: 'bad cursor' } }, { status: 400 });
        }
        return Response.json({ items: [item('a', 1)], next_cursor: 'c2', head: 7 });
      },
    });
    expect(await load(null)).toEqual({ items: [item('a', 1)], next_cursor: 'c2', head: 7 });
    await load('c2');
    await expect(load('bad')).rejects.toMatchObject({ name: 'ApiRequestError', status: 400, code: 'invalid_request' });
    expect(asked.slice(0, 2)).toEqual([
      'https://api.example/v1/events/snapshot?limit=2 Bearer token-1',
      'https://api.example/v1/events/snapshot?limit=2&cursor=c2 Bearer token-1',
    ]);
  });
});

describe('refused sends', () => {
  it('reject with the server’s code, quota_exceeded included', async () => {
    const { client: c } = await client((frame) => {
      if (frame.type === 'replay') return [{ type: 'replay', id: frame.id, events: [], next_after: null }];
      if (frame.type !== 'event') return undefined;
      return [{ type: 'error', id: frame.id, code: 'quota_exceeded', message: 'The log is full.' }];
    });
    await c.connect();
    await expect(c.send({ id: 'big', stream: 's', payload: 1 })).rejects.toMatchObject({
      name: 'RealtimeError',
      code: 'quota_exceeded',
    });
    await c.close();
  });

  it('an error about something else does not cancel the replay', async () => {
    const received: RealtimeEvent[] = [];
    const { client: c, sockets } = await client(
      (frame) => {
        if (frame.type !== 'replay') return undefined;
        return [
          { type: 'error', code: 'internal', message: 'about nothing pending' },
          { type: 'error', id: 'someone-else', code: 'invalid_request', message: 'about another frame' },
          { type: 'replay', id: frame.id, events: [event(1)], next_after: null },
        ];
      },
      { after: 0, onEvent: (e) => void received.push(e) },
    );
    await c.connect();
    await eventually(() => received.length === 1);
    expect(sockets).toHaveLength(1);
    await c.close();
  });

  it('a rate_limited send is sent again after retry_after and then acked', async () => {
    let tries = 0;
    const { client: c } = await client((frame) => {
      if (frame.type === 'replay') return [{ type: 'replay', id: frame.id, events: [], next_after: null }];
      if (frame.type !== 'event') return undefined;
      tries += 1;
      if (tries === 1)
        return [{ type: 'error', id: frame.id, code: 'rate_limited', message: 'slow down', retry_after: 0.05 }];
      return [{ type: 'ack', id: frame.id, seq: 1, version: null }];
    });
    await c.connect();
    expect(await c.send({ id: 'once', stream: 's', payload: 1 })).toEqual({
      type: 'ack',
      id: 'once',
      seq: 1,
      version: null,
    });
    expect(tries).toBe(2);
    await c.close();
  });
});

describe('keep-alive', () => {
  const quiet = (answerPings: boolean) => (frame: Frame) => {
    if (frame.type === 'replay') return [{ type: 'replay', id: frame.id, events: [], next_after: null }];
    if (frame.text === 'ping' && answerPings) return ['pong'];
    return undefined;
  };

  it('sends ping on an interval and keeps a socket that answers pong', async () => {
    const { client: c, sockets } = await client(quiet(true), { pingIntervalMs: 20 });
    await c.connect();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.sent.filter((f) => f.text === 'ping').length).toBeGreaterThanOrEqual(3);
    await c.close();
  });

  it('drops a socket that did not answer the last ping, and reconnects', async () => {
    const { client: c, sockets } = await client(quiet(false), { pingIntervalMs: 20 });
    await c.connect();
    await eventually(() => sockets.length >= 2);
    expect(sockets[0]!.readyState).toBe(3);
    await c.close();
  });
});
