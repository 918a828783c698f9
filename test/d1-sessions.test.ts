/** D1 read replication: lists may read a replica no older than the client's bookmark; security reads never do. */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { call, signup } from './helpers';
import { registerTestDevice } from './realtime-helpers';

afterEach(() => vi.restoreAllMocks());

describe('D1 sessions', () => {
  it('hands back a bookmark after a write, and a list read with it sees the write', async () => {
    const user = await signup();
    const created = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'bookmarked', scopes: ['read'] },
    });
    expect(created.status).toBe(201);
    const bookmark = created.headers.get('x-d1-bookmark');
    expect(bookmark).toMatch(/^[A-Za-z0-9-]+$/);
    const sessions = vi.spyOn(env.DB, 'withSession');
    const listed = await call('/v1/me/api-keys', { token: user.access_token, headers: { 'x-d1-bookmark': bookmark! } });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { api_keys: { name: string }[] }).api_keys.map((k) => k.name)).toEqual([
      'bookmarked',
    ]);
    expect(sessions.mock.calls).toEqual([[bookmark]]);
    expect(listed.headers.get('x-d1-bookmark')).toMatch(/^[A-Za-z0-9-]+$/);
  });

  it('reads lists from any replica without a bookmark, and ignores a malformed one', async () => {
    const user = await signup();
    await registerTestDevice(user.access_token);
    const sessions = vi.spyOn(env.DB, 'withSession');
    const variants: Record<string, string>[] = [{}, { 'x-d1-bookmark': 'not a bookmark; drop table' }];
    for (const headers of variants) {
      const listed = await call('/v1/devices', { token: user.access_token, headers });
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { devices: unknown[] }).devices).toHaveLength(1);
    }
    expect(sessions.mock.calls).toEqual([['first-unconstrained'], ['first-unconstrained']]);
  });

  it('never lets a client bookmark reach authentication: a revoked API key stays revoked', async () => {
    const user = await signup();
    const created = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'soon revoked', scopes: ['read'] },
    });
    const key = (await created.json()) as { id: string; key: string };
    const before = created.headers.get('x-d1-bookmark')!;
    expect((await call(`/v1/me/api-keys/${key.id}`, { method: 'DELETE', token: user.access_token })).status).toBe(204);
    const sessions = vi.spyOn(env.DB, 'withSession');
    const refused = await call('/v1/me/api-keys', { token: key.key, headers: { 'x-d1-bookmark': before } });
    expect(refused.status).toBe(401);
    expect(sessions).not.toHaveBeenCalled();
  });

  it('answers no bookmark when a request did not touch D1 through a session', async () => {
    expect((await call('/health')).headers.get('x-d1-bookmark')).toBeNull();
  });
});
