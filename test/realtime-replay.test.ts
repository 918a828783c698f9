import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../objects/user/events';
import { call, signup } from './helpers';
import { connect, type Frame, registerTestDevice, UNLIMITED } from './realtime-helpers';

type User = Awaited<ReturnType<typeof signup>>;
interface Page {
  events: {
    seq: number;
    id: string;
    stream: string;
    key: string | null;
    version: number | null;
    payload: unknown;
    at: string;
  }[];
  next_after: number | null;
}

const LIVE = 3000;
/** Every 31st stored event has already expired (within the accepted clock skew). */
const isExpired = (n: number) => n % 31 === 0;

describe('replay over thousands of events', () => {
  let user: User;
  let liveSeqs: number[];
  beforeAll(async () => {
    user = await signup();
    // Written straight into the user's actor, in one call: 3,000 appends over HTTP would take far longer.
    liveSeqs = await runInDurableObject(env.USER.getByName(user.user.id), (_instance, state) => {
      const log = new EventLog(state.storage.sql, state.storage);
      const live: number[] = [];
      for (let n = 1; live.length < LIVE; n++) {
        const expired = isExpired(n);
        const result = log.append(
          {
            id: `bulk-${n}`,
            stream: 'bulk',
            key: n % 2 ? `k${n % 7}` : null,
            baseVersion: null,
            payload: { n },
            expiresAt: expired ? Date.now() - 60_000 : null,
            deviceId: null,
          },
          UNLIMITED,
        );
        if (!result.ok) throw new Error('append failed');
        if (!expired) live.push(result.value.ack.seq);
      }
      return live;
    });
  });

  it('pages through GET /v1/events with next_after until null, leaving out expired events', async () => {
    const seen: number[] = [];
    let after: number | null = 0;
    let pages = 0;
    while (after !== null) {
      const response = await call(`/v1/events?after=${after}&limit=500`, { token: user.access_token });
      expect(response.status).toBe(200);
      const page = (await response.json()) as Page;
      pages++;
      expect(page.events.length).toBeLessThanOrEqual(500);
      if (page.next_after !== null) expect(page.next_after).toBe(page.events.at(-1)?.seq);
      seen.push(...page.events.map((e) => e.seq));
      after = page.next_after;
    }
    expect(pages).toBe(LIVE / 500);
    expect(seen).toEqual(liveSeqs);
  });

  it('keeps seq gapless in storage: expired events hold their seq', async () => {
    const stored = await runInDurableObject(env.USER.getByName(user.user.id), (_instance, state) =>
      state.storage.sql
        .exec<{ n: number; low: number; high: number }>(
          'SELECT COUNT(*) AS n, MIN(seq) AS low, MAX(seq) AS high FROM events',
        )
        .one(),
    );
    expect(stored).toEqual({ n: stored.high, low: 1, high: liveSeqs.at(-1) });
    const first = (await (await call('/v1/events?after=29&limit=3', { token: user.access_token })).json()) as Page;
    expect(first.events.map((e) => e.seq)).toEqual([30, 32, 33]);
  });

  it('returns 100 events by default, each with its full shape', async () => {
    const page = (await (await call('/v1/events', { token: user.access_token })).json()) as Page;
    expect(page.events).toHaveLength(100);
    expect(page.next_after).toBe(page.events[99]!.seq);
    expect(page.events[0]).toEqual({
      seq: 1,
      id: 'bulk-1',
      device_id: null,
      stream: 'bulk',
      key: 'k1',
      version: 1,
      payload: { n: 1 },
      at: expect.any(String),
    });
  });

  it('answers an empty page after the head', async () => {
    const page = (await (
      await call(`/v1/events?after=${liveSeqs.at(-1)}`, { token: user.access_token })
    ).json()) as Page;
    expect(page).toEqual({ events: [], next_after: null });
  });

  it('pages through the same log over the socket', async () => {
    const { frames, ready } = await connect(await registerTestDevice(user.access_token));
    expect(ready.head).toBe(liveSeqs.at(-1));
    const seen: number[] = [];
    let after: number | null = 0;
    while (after !== null) {
      const page: Frame = await frames.ask({ type: 'replay', after, limit: 500 });
      expect(page.type).toBe('replay');
      seen.push(...page.events.map((e: { seq: number }) => e.seq));
      after = page.next_after;
    }
    expect(seen).toEqual(liveSeqs);
    const small = await frames.ask({ type: 'replay', after: 0 });
    expect(small.events).toHaveLength(100);
  });
});
