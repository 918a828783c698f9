import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../objects/user/events';
import { ROW_BYTES_SQL } from '../objects/user/log-state';
import { runUpkeep } from '../objects/user/log-upkeep';
import { call, expectError, signup, type Tokens } from './helpers';
import { connect, registerTestDevice } from './realtime-helpers';

const DAY = 86_400_000;
const actor = (user: Tokens) => env.USER.getByName(user.user.id);
const post = (user: Tokens, body: unknown) => call('/v1/events', { method: 'POST', token: user.access_token, body });

const totals = (user: Tokens) =>
  runInDurableObject(actor(user), (_instance, state) => ({
    kept: state.storage.sql.exec<{ events: number; bytes: number; horizon: number }>('SELECT * FROM log_state').one(),
    counted: state.storage.sql
      .exec<{ events: number; bytes: number }>(
        `SELECT COUNT(*) AS events, COALESCE(SUM(${ROW_BYTES_SQL}), 0) AS bytes FROM events`,
      )
      .one(),
  }));

describe('the per-user quota', () => {
  it('keeps the log’s totals in step with its rows, multi-byte payloads included', async () => {
    const user = await signup();
    for (const payload of [{ text: 'ascii' }, { text: 'Straße ☃ 𝄞' }, [1, 2, 3]]) {
      expect((await post(user, { id: crypto.randomUUID(), stream: 's', key: 'k', payload })).status).toBe(201);
    }
    const { kept, counted } = await totals(user);
    expect(kept.events).toBe(3);
    expect({ events: kept.events, bytes: kept.bytes }).toEqual(counted);
  });

  it('answers 507 quota_exceeded over HTTP when the bytes would pass the limit, and stores nothing', async () => {
    const user = await signup();
    const maxBytes = 1024 * 1024 * 1024;
    await runInDurableObject(actor(user), (_instance, state) => {
      state.storage.sql.exec('UPDATE log_state SET bytes = ?', maxBytes - 100);
    });
    const refused = await post(user, { id: 'big', stream: 's', payload: 'x'.repeat(200) });
    const body = await expectError(refused, 507, 'quota_exceeded');
    expect(body.error.message).toMatch(/full/);
    const page = (await (await call('/v1/events', { token: user.access_token })).json()) as { events: unknown[] };
    expect(page.events).toEqual([]);
    expect((await post(user, { id: 'small', stream: 's', payload: 1 })).status).toBe(201);
  });

  it('refuses the event past max_events, and a retried id is still acked', async () => {
    const user = await signup();
    const outcome = await runInDurableObject(actor(user), (_instance, state) => {
      const log = new EventLog(state.storage.sql, state.storage);
      const quota = { maxEvents: 2, maxBytes: 1_000_000 };
      const input = (id: string) => ({
        id,
        stream: 's',
        key: null,
        baseVersion: null,
        payload: id,
        expiresAt: null,
        deviceId: null,
      });
      return [
        log.append(input('a'), quota),
        log.append(input('b'), quota),
        log.append(input('c'), quota),
        log.append(input('a'), quota),
      ];
    });
    expect(outcome.map((r) => r.ok)).toEqual([true, true, false, true]);
    expect(outcome[2]).toEqual({ ok: false, error: { type: 'quota_exceeded' } });
  });

  it('answers an error frame with code quota_exceeded and the event’s id on the socket', async () => {
    const user = await signup();
    const { frames } = await connect(await registerTestDevice(user.access_token));
    await runInDurableObject(actor(user), (_instance, state) => {
      state.storage.sql.exec('UPDATE log_state SET events = ?', 1_000_000);
    });
    const answer = await frames.ask({ type: 'event', id: 'over', stream: 's', payload: 1 });
    expect(answer).toEqual({ type: 'error', id: 'over', code: 'quota_exceeded', message: expect.any(String) });
  });
});

describe('purging expired events', () => {
  it('is done by the user’s alarm, which the append of an expiring event sets', async () => {
    const user = await signup();
    const soon = new Date(Date.now() - 60_000).toISOString();
    await post(user, { id: 'gone', stream: 's', key: 'k', payload: 'old', expires_at: soon });
    await post(user, { id: 'kept', stream: 's', payload: 'stays' });
    expect((await totals(user)).kept.events).toBe(2);
    expect(await runDurableObjectAlarm(actor(user))).toBe(true);
    const { kept, counted } = await totals(user);
    expect(kept.events).toBe(1);
    expect({ events: kept.events, bytes: kept.bytes }).toEqual(counted);
    expect(kept.horizon).toBe(0);
  });

  it('never hands out the seq of a purged newest event again', async () => {
    const user = await signup();
    const soon = new Date(Date.now() - 60_000).toISOString();
    await post(user, { id: 'first', stream: 's', payload: 1 });
    await post(user, { id: 'newest', stream: 's', payload: 2, expires_at: soon });
    await runDurableObjectAlarm(actor(user));
    expect((await totals(user)).kept.events).toBe(1);
    const next = await post(user, { id: 'after', stream: 's', payload: 3 });
    expect(await next.json()).toMatchObject({ id: 'after', seq: 3 });
  });

  it('keeps a purged key’s version, so versions never go back', async () => {
    const user = await signup();
    const soon = new Date(Date.now() - 60_000).toISOString();
    await post(user, { id: 'v1', stream: 's', key: 'k', payload: 1 });
    await post(user, { id: 'v2', stream: 's', key: 'k', payload: 2, expires_at: soon });
    await runDurableObjectAlarm(actor(user));
    const next = await post(user, { id: 'v3', stream: 's', key: 'k', base_version: 2, payload: 3 });
    expect(await next.json()).toMatchObject({ id: 'v3', version: 3 });
  });
});

describe('compaction and resync', () => {
  let user: Tokens;
  let horizon: number;

  beforeAll(async () => {
    user = await signup();
    // Three versions of a, two of b, one of c, and an unkeyed event between them.
    for (const [id, key, payload] of [
      ['a1', 'a', 1],
      ['b1', 'b', 1],
      ['a2', 'a', 2],
      ['note', undefined, 'n'],
      ['a3', 'a', 3],
      ['b2', 'b', 2],
      ['c1', 'c', 1],
    ] as const) {
      expect((await post(user, { id, stream: 'docs', key, payload })).status).toBe(201);
    }
    const outcome = await runInDurableObject(actor(user), (_instance, state) =>
      runUpkeep(state.storage.sql, state.storage, Date.now() + 31 * DAY, 30 * DAY),
    );
    expect(outcome).toMatchObject({ compacted: 3, purged: 0 });
    horizon = outcome.horizon;
  });

  it('drops only superseded versions older than the age, and raises the horizon to the last of them', async () => {
    expect(horizon).toBe(3);
    const page = (await (await call(`/v1/events?after=${horizon}`, { token: user.access_token })).json()) as {
      events: { id: string }[];
    };
    expect(page.events.map((e) => e.id)).toEqual(['note', 'a3', 'b2', 'c1']);
  });

  it('is scheduled on the user’s alarm by an append that supersedes a version, for when it may be dropped', async () => {
    const other = await signup();
    await post(other, { id: 'y1', stream: 's', key: 'y', payload: 1 });
    const due = () =>
      runInDurableObject(actor(other), (_instance, state) =>
        state.storage.sql
          .exec<{ due_at: number }>("SELECT due_at FROM scheduled_jobs WHERE job = 'log_upkeep'")
          .toArray(),
      );
    expect(await due()).toEqual([]);
    const before = Date.now();
    await post(other, { id: 'y2', stream: 's', key: 'y', payload: 2 });
    const [job] = await due();
    expect(job!.due_at).toBeGreaterThanOrEqual(before + 30 * DAY);
    expect(job!.due_at).toBeLessThanOrEqual(Date.now() + 30 * DAY);
  });

  it('leaves versions younger than the age alone', async () => {
    const other = await signup();
    await post(other, { id: 'x1', stream: 's', key: 'x', payload: 1 });
    await post(other, { id: 'x2', stream: 's', key: 'x', payload: 2 });
    const outcome = await runInDurableObject(actor(other), (_instance, state) =>
      runUpkeep(state.storage.sql, state.storage, Date.now() + 29 * DAY, 30 * DAY),
    );
    expect(outcome).toMatchObject({ compacted: 0, horizon: 0 });
    expect(outcome.nextDue).toBeGreaterThan(Date.now() + 29 * DAY);
  });

  it('answers 409 resync_required with the horizon inside error to a replay from before it', async () => {
    for (const after of [0, horizon - 1]) {
      const response = await call(`/v1/events?after=${after}`, { token: user.access_token });
      const body = (await expectError(response, 409, 'resync_required')) as unknown as { error: { horizon: number } };
      expect(body.error.horizon).toBe(horizon);
    }
  });

  it('answers resync_required with the horizon and the request’s id on the socket', async () => {
    const { frames } = await connect(await registerTestDevice(user.access_token));
    expect(await frames.ask({ type: 'replay', after: 0, id: 'r1' })).toEqual({
      type: 'resync_required',
      id: 'r1',
      horizon,
    });
    expect(await frames.ask({ type: 'replay', after: 1 })).toEqual({ type: 'resync_required', horizon });
    expect(await frames.ask({ type: 'replay', after: horizon })).toMatchObject({ type: 'replay', next_after: null });
  });
});

interface Snapshot {
  items: { stream: string; key: string; version: number; seq: number; id: string; payload: unknown }[];
  next_cursor: string | null;
  head: number;
}

describe('the snapshot', () => {
  let user: Tokens;
  const snapshot = (query = '', token = user.access_token) => call(`/v1/events/snapshot${query}`, { token });

  beforeAll(async () => {
    user = await signup();
    const past = new Date(Date.now() - 60_000).toISOString();
    for (const [id, stream, key, payload, expires_at] of [
      ['1', 'b', 'y', 'old', undefined],
      ['2', 'a', 'z', 'z1', undefined],
      ['3', 'b', 'y', 'new', undefined],
      ['4', 'a', 'x', 'x1', undefined],
      ['5', 'a', 'gone', 'expired', past],
      ['6', 'a', 'w', 'w1', undefined],
    ] as const) {
      expect((await post(user, { id, stream, key, payload, expires_at })).status).toBe(201);
    }
    await post(user, { id: '7', stream: 'a', payload: 'unkeyed' });
  });

  it('lists the current value of every live key in (stream, key) order, with the head', async () => {
    const page = (await (await snapshot()).json()) as Snapshot;
    expect(page.head).toBe(7);
    expect(page.next_cursor).toBeNull();
    expect(page.items.map((i) => [i.stream, i.key, i.version, i.seq, i.id, i.payload])).toEqual([
      ['a', 'w', 1, 6, '6', 'w1'],
      ['a', 'x', 1, 4, '4', 'x1'],
      ['a', 'z', 1, 2, '2', 'z1'],
      ['b', 'y', 2, 3, '3', 'new'],
    ]);
    expect(Object.keys(page.items[0]!).sort()).toEqual(
      ['at', 'device_id', 'id', 'key', 'payload', 'seq', 'stream', 'version'].sort(),
    );
  });

  it('pages with next_cursor, every page reporting the first page’s head', async () => {
    const first = (await (await snapshot('?limit=3')).json()) as Snapshot;
    expect(first.items.map((i) => i.key)).toEqual(['w', 'x', 'z']);
    await post(user, { id: '8', stream: 'c', key: 'later', payload: 1 });
    const second = (await (await snapshot(`?limit=3&cursor=${first.next_cursor}`)).json()) as Snapshot;
    expect(second.head).toBe(first.head);
    expect(second.items.map((i) => [i.stream, i.key])).toEqual([
      ['b', 'y'],
      ['c', 'later'],
    ]);
    expect(second.next_cursor).toBeNull();
  });

  it('refuses a cursor it did not give out, a bad limit and unknown parameters (400)', async () => {
    const forged = btoa(JSON.stringify({ head: 'x' })).replace(/=+$/, '');
    for (const query of ['?cursor=%%%', `?cursor=${forged}`, '?cursor=bm90LWpzb24', '?limit=0', '?limit=501', '?x=1']) {
      await expectError(await snapshot(query), 400, 'invalid_request');
    }
  });

  it('needs a signed-in user, and shows each user only their own keys', async () => {
    await expectError(await call('/v1/events/snapshot'), 401, 'unauthorized');
    await expectError(await snapshot('', 'not-a-token'), 401, 'unauthorized');
    const stranger = await signup();
    const page = (await (await snapshot('', stranger.access_token)).json()) as Snapshot;
    expect(page).toEqual({ items: [], next_cursor: null, head: 0 });
  });
});

describe('the operator’s view of a user’s storage', () => {
  const admin = (path: string, token = env.ADMIN_TOKEN) => call(path, { token });

  it('reports counts, bytes, horizon, head and database size', async () => {
    const user = await signup();
    await post(user, { id: 'one', stream: 's', payload: { hello: 'world' } });
    const response = await admin(`/v1/admin/users/${user.user.id}/storage`);
    expect(response.status).toBe(200);
    const { counted } = await totals(user);
    expect(await response.json()).toEqual({
      user_id: user.user.id,
      events: 1,
      bytes: counted.bytes,
      horizon: 0,
      head: 1,
      database_bytes: expect.any(Number),
      quota: { max_events: 1_000_000, max_bytes: 1024 * 1024 * 1024 },
      exported: { seq: 0, events: 0, bytes: 0 },
    });
  });

  it('needs ADMIN_TOKEN, and answers 404 for an unknown user and 400 for a malformed id', async () => {
    const user = await signup();
    await expectError(await admin(`/v1/admin/users/${user.user.id}/storage`, user.access_token), 401, 'unauthorized');
    await expectError(await call(`/v1/admin/users/${user.user.id}/storage`), 401, 'unauthorized');
    await expectError(await admin('/v1/admin/users/no-such-user/storage'), 404, 'not_found');
    await expectError(await admin('/v1/admin/users/bad%20id/storage'), 400, 'invalid_request');
  });
});
