import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../worker/index';
import { BASE, call, expectError, signup, type Tokens } from './helpers';

describe('user isolation', () => {
  let alice: Tokens & { email: string; password: string };
  let bob: Tokens & { email: string; password: string };
  beforeAll(async () => {
    [alice, bob] = await Promise.all([signup({ name: 'Alice' }), signup({ name: 'Bob' })]);
  });

  it('answers each user with their own profile and sessions only', async () => {
    expect(await (await call('/v1/me', { token: alice.access_token })).json()).toMatchObject({ name: 'Alice' });
    expect(await (await call('/v1/me', { token: bob.access_token })).json()).toMatchObject({ name: 'Bob' });
    const sessions = (await (await call('/v1/auth/sessions', { token: alice.access_token })).json()) as {
      sessions: { id: string }[];
    };
    const bobSessions = (await (await call('/v1/auth/sessions', { token: bob.access_token })).json()) as {
      sessions: { id: string }[];
    };
    expect(sessions.sessions.map((s) => s.id)).not.toContain(bobSessions.sessions[0]!.id);
  });

  it('never lets one user’s changes reach another', async () => {
    await call('/v1/me', { method: 'PATCH', token: alice.access_token, body: { name: 'Alice 2' } });
    expect(await (await call('/v1/me', { token: bob.access_token })).json()).toMatchObject({ name: 'Bob' });
  });

  it('keeps a user’s audit log to themselves', async () => {
    await call('/v1/me', { method: 'PATCH', token: alice.access_token, body: { name: 'Alice 3' } });
    const types = async (token: string) =>
      ((await (await call('/v1/me/audit', { token })).json()) as { events: { type: string }[] }).events.map(
        (e) => e.type,
      );
    expect(await types(alice.access_token)).toContain('profile_updated');
    expect(await types(bob.access_token)).not.toContain('profile_updated');
  });

  it('exports only the caller’s data', async () => {
    const text = await (await call('/v1/me/export', { token: bob.access_token })).text();
    expect(text).not.toContain(alice.user.id);
    expect(text).not.toContain(alice.email);
  });

  it('counts the per-user API limit per user, with headers, and answers 429 past it', async () => {
    const limited = { ...env, RATE_LIMITS: '{"api":{"limit":3,"window_s":60}}' };
    const fetchAs = (token: string) =>
      worker.fetch(
        new Request(`${BASE}/v1/me`, { headers: { authorization: `Bearer ${token}` } }),
        limited,
        createExecutionContext(),
      );
    const carol = await signup();
    const dave = await signup();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await fetchAs(carol.access_token));
    expect(statuses.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(statuses[0]!.headers.get('x-ratelimit-limit')).toBe('3');
    expect(statuses[2]!.headers.get('x-ratelimit-remaining')).toBe('0');
    await expectError(statuses[3]!, 429, 'rate_limited');
    expect(statuses[3]!.headers.get('retry-after')).toBeTruthy();
    expect((await fetchAs(dave.access_token)).status).toBe(200);
  });
});
