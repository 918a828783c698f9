import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, expectError, signup } from './helpers';

// POST /v1/events admits the caller in the same RPC as the append (one round trip to the
// user's actor): these are the refusals that admission used to give before the handler ran.

const API_LIMIT = 600;
const post = (token: string, id: string) =>
  call('/v1/events', { method: 'POST', token, body: { id, stream: 'admission', payload: 1 } });
const ids = async (token: string) =>
  ((await (await call('/v1/events?limit=500', { token })).json()) as { events: { id: string }[] }).events.map(
    (e) => e.id,
  );

describe('POST /v1/events admission', () => {
  it('appends for a live session and sets the api limit’s headers', async () => {
    const user = await signup();
    const response = await post(user.access_token, 'live');
    expect(response.status).toBe(201);
    expect(response.headers.get('x-ratelimit-limit')).toBe(String(API_LIMIT));
    expect(await ids(user.access_token)).toEqual(['live']);
  });

  it('refuses an ended session with 401 and appends nothing', async () => {
    const user = await signup();
    const other = (await (
      await call('/v1/auth/login', { method: 'POST', body: { email: user.email, password: user.password } })
    ).json()) as { access_token: string };
    expect((await call('/v1/auth/logout', { method: 'POST', token: user.access_token })).status).toBe(204);
    const refused = await expectError(await post(user.access_token, 'after-logout'), 401, 'unauthorized');
    expect(refused.error.message).toBe('The session has ended.');
    expect(await ids(other.access_token)).toEqual([]);
  });

  it('refuses with 429 once the api limit is spent, and appends nothing', async () => {
    const user = await signup();
    const sid = JSON.parse(atob(user.access_token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).sid as string;
    await runInDurableObject(env.USER.getByName(user.user.id), (instance) => {
      for (let i = 0; i < API_LIMIT; i++) instance.authorize(sid, { limit: API_LIMIT, window_s: 60 });
    });
    const response = await post(user.access_token, 'over');
    await expectError(response, 429, 'rate_limited');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
    const log = await runInDurableObject(env.USER.getByName(user.user.id), (instance) => instance.replayEvents(0, 10));
    expect(log.events).toEqual([]);
  });

  it('appends with a write-scoped API key, refuses a revoked one', async () => {
    const user = await signup();
    const created = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'writer', scopes: ['read', 'write'] },
    });
    const { key, id } = (await created.json()) as { key: string; id: string };
    expect((await post(key, 'by-key')).status).toBe(201);
    expect((await call(`/v1/me/api-keys/${id}`, { method: 'DELETE', token: user.access_token })).status).toBe(204);
    await expectError(await post(key, 'by-revoked-key'), 401, 'unauthorized');
    expect(await ids(user.access_token)).toEqual(['by-key']);
  });
});
