import { describe, expect, it } from 'vitest';
import { call, expectError, login, signup, type Tokens } from './helpers';

const sessionsOf = async (token: string) =>
  (
    (await (await call('/v1/auth/sessions', { token })).json()) as {
      sessions: { id: string; current: boolean; ip: string; user_agent: string | null }[];
    }
  ).sessions;

describe('sessions', () => {
  it('lists the live sessions and marks the current one', async () => {
    const first = await signup();
    const second = (await (await login(first.email, first.password, '203.0.113.9')).json()) as Tokens;
    const sessions = await sessionsOf(second.access_token);
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    expect(sessions.find((s) => s.current)?.ip).toBe('203.0.113.9');
    expect(Object.keys(sessions[0]!).sort()).toEqual([
      'created_at',
      'current',
      'id',
      'ip',
      'last_used_at',
      'user_agent',
    ]);
  });

  it('revokes another session, whose access token stops working on the very next request', async () => {
    const first = await signup();
    const second = (await (await login(first.email, first.password)).json()) as Tokens;
    const target = (await sessionsOf(second.access_token)).find((s) => !s.current)!;
    expect(
      (await call(`/v1/auth/sessions/${target.id}`, { method: 'DELETE', token: second.access_token })).status,
    ).toBe(204);
    await expectError(await call('/v1/me', { token: first.access_token }), 401, 'unauthorized');
    await expectError(
      await call('/v1/auth/refresh', { method: 'POST', body: { refresh_token: first.refresh_token } }),
      401,
      'unauthorized',
    );
    expect((await call('/v1/me', { token: second.access_token })).status).toBe(200);
  });

  it('answers 404 for another user’s session id and leaves it alive', async () => {
    const alice = await signup();
    const bob = await signup();
    const bobSession = (await sessionsOf(bob.access_token))[0]!;
    await expectError(
      await call(`/v1/auth/sessions/${bobSession.id}`, { method: 'DELETE', token: alice.access_token }),
      404,
      'not_found',
    );
    expect((await call('/v1/me', { token: bob.access_token })).status).toBe(200);
  });

  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    const { access_token } = await signup();
    await expectError(
      await call('/v1/auth/sessions/bad%20id!', { method: 'DELETE', token: access_token }),
      400,
      'invalid_request',
    );
    await expectError(
      await call('/v1/auth/sessions/unknown', { method: 'DELETE', token: access_token }),
      404,
      'not_found',
    );
  });

  it('logs out: the current session ends at once, others stay', async () => {
    const first = await signup();
    const second = (await (await login(first.email, first.password)).json()) as Tokens;
    expect((await call('/v1/auth/logout', { method: 'POST', token: first.access_token })).status).toBe(204);
    await expectError(await call('/v1/me', { token: first.access_token }), 401, 'unauthorized');
    await expectError(
      await call('/v1/auth/refresh', { method: 'POST', body: { refresh_token: first.refresh_token } }),
      401,
      'unauthorized',
    );
    expect((await call('/v1/me', { token: second.access_token })).status).toBe(200);
    expect(await sessionsOf(second.access_token)).toHaveLength(1);
  });

  it('requires authentication for every session route', async () => {
    await expectError(await call('/v1/auth/sessions'), 401, 'unauthorized');
    await expectError(await call('/v1/auth/sessions/x', { method: 'DELETE' }), 401, 'unauthorized');
    await expectError(await call('/v1/auth/logout', { method: 'POST' }), 401, 'unauthorized');
  });
});
