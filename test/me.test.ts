import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { auditTrail, call, expectError, login, signup, type Tokens } from './helpers';

describe('GET and PATCH /v1/me', () => {
  it('answers the profile from the actor’s cached copy, not D1', async () => {
    const { access_token, user } = await signup({ name: 'Grace' });
    // Change D1 behind the actor's back: the answer still comes from the actor's copy.
    await env.DB.prepare('UPDATE users SET name = ? WHERE id = ?').bind('changed in D1', user.id).run();
    expect(await (await call('/v1/me', { token: access_token })).json()).toMatchObject({ id: user.id, name: 'Grace' });
  });

  it('rebuilds the cached profile from storage after the actor is evicted', async () => {
    const { access_token, user } = await signup({ name: 'Linus' });
    const { evictDurableObject } = await import('cloudflare:test');
    await evictDurableObject(env.USER.getByName(user.id));
    expect(await (await call('/v1/me', { token: access_token })).json()).toMatchObject({ name: 'Linus' });
  });

  it('renames and keeps D1 and the actor in step', async () => {
    const { access_token, user } = await signup();
    const response = await call('/v1/me', { method: 'PATCH', token: access_token, body: { name: 'Margaret' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: 'Margaret' });
    const row = await env.DB.prepare('SELECT name FROM users WHERE id = ?').bind(user.id).first<{ name: string }>();
    expect(row?.name).toBe('Margaret');
    expect(await (await call('/v1/me', { token: access_token })).json()).toMatchObject({ name: 'Margaret' });
  });

  it('refuses to change the email, unknown fields and wrong types', async () => {
    const { access_token, email } = await signup();
    for (const body of [{ email: 'new@example.com' }, { name: 5 }, { name: 'x'.repeat(101) }, {}]) {
      await expectError(await call('/v1/me', { method: 'PATCH', token: access_token, body }), 400, 'invalid_request');
    }
    expect(await (await call('/v1/me', { token: access_token })).json()).toMatchObject({ email });
  });
});

describe('POST /v1/me/password', () => {
  it('changes the password and revokes every other session', async () => {
    const first = await signup();
    const second = (await (await login(first.email, first.password)).json()) as Tokens;
    const response = await call('/v1/me/password', {
      method: 'POST',
      token: second.access_token,
      body: { current_password: first.password, new_password: 'a brand new passphrase' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      sessions_revoked: 1,
      api_keys_revoked: 0,
      devices_revoked: 0,
      connections_revoked: 0,
    });
    await expectError(await call('/v1/me', { token: first.access_token }), 401, 'unauthorized');
    expect((await call('/v1/me', { token: second.access_token })).status).toBe(200);
    await expectError(await login(first.email, first.password), 401, 'unauthorized');
    expect((await login(first.email, 'a brand new passphrase')).status).toBe(200);
  });

  it('refuses a wrong current password with 403 and changes nothing', async () => {
    const first = await signup();
    const response = await call('/v1/me/password', {
      method: 'POST',
      token: first.access_token,
      body: { current_password: 'not it at all', new_password: 'a brand new passphrase' },
    });
    await expectError(response, 403, 'forbidden');
    expect((await login(first.email, first.password)).status).toBe(200);
  });

  it('counts wrong current passwords in the lockout: a stolen session cannot guess freely', async () => {
    const first = await signup();
    const attempt = (current_password: string) =>
      call('/v1/me/password', {
        method: 'POST',
        token: first.access_token,
        body: { current_password, new_password: 'a brand new passphrase' },
      });
    for (let i = 0; i < 5; i++) await expectError(await attempt(`wrong guess ${i}`), 403, 'forbidden');
    await expectError(await attempt(first.password), 423, 'account_locked');
    await expectError(await login(first.email, first.password), 423, 'account_locked');
  });

  it('refuses a common or short new password with 400', async () => {
    const first = await signup();
    for (const new_password of ['qwertyuiop', 'short']) {
      const response = await call('/v1/me/password', {
        method: 'POST',
        token: first.access_token,
        body: { current_password: first.password, new_password },
      });
      const body = await expectError(response, 400, 'invalid_request');
      expect(body.error.details[0]?.path).toBe('new_password');
    }
  });
});

describe('GET /v1/me/audit', () => {
  it('lists security events newest first with time, IP and user agent, paginated', async () => {
    const first = await signup();
    for (let i = 0; i < 3; i++) await login(first.email, 'wrong password!', `192.0.2.${i + 1}`);
    const page1 = await call('/v1/me/audit?limit=2', { token: first.access_token });
    expect(page1.status).toBe(200);
    const body1 = (await page1.json()) as {
      events: { type: string; ip: string; created_at: string }[];
      next_cursor: string;
    };
    expect(body1.events).toHaveLength(2);
    expect(body1.events[0]).toMatchObject({ type: 'login_failed', ip: '192.0.2.3' });
    expect(body1.next_cursor).toBeTruthy();
    const body2 = (await (
      await call(`/v1/me/audit?limit=2&cursor=${body1.next_cursor}`, { token: first.access_token })
    ).json()) as {
      events: { type: string }[];
      next_cursor: string | null;
    };
    expect(body2.events.map((e) => e.type)).toEqual(['login_failed', 'signup']);
    expect(body2.next_cursor).toBeNull();
  });

  it('refuses bad paging parameters', async () => {
    const { access_token } = await signup();
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'cursor=bad', 'other=1']) {
      await expectError(await call(`/v1/me/audit?${q}`, { token: access_token }), 400, 'invalid_request');
    }
  });
});

describe('GET /v1/me/export', () => {
  it('exports the user’s data without secrets or hashes', async () => {
    const { access_token, user, password, refresh_token } = await signup({ name: 'Export Me' });
    const response = await call('/v1/me/export', { token: access_token });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toContain('attachment');
    const text = await response.text();
    const data = JSON.parse(text) as Record<string, unknown>;
    expect(data).toMatchObject({ user: { id: user.id, name: 'Export Me', has_password: true } });
    expect(data.sessions).toHaveLength(1);
    expect((data.audit_log as unknown[]).length).toBeGreaterThan(0);
    expect(text).not.toContain(password);
    expect(text).not.toContain('argon2id');
    expect(text).not.toContain(refresh_token.split('.')[1]);
    expect(text).not.toContain('refresh_key');
  });
});

describe('DELETE /v1/me', () => {
  it('refuses a wrong password and deletes nothing', async () => {
    const { access_token, user } = await signup();
    await expectError(
      await call('/v1/me', { method: 'DELETE', token: access_token, body: { password: 'nope nope nope' } }),
      403,
      'forbidden',
    );
    await expectError(
      await call('/v1/me', { method: 'DELETE', token: access_token, body: {} }),
      400,
      'invalid_request',
    );
    expect(await env.DB.prepare('SELECT id FROM users WHERE id = ?').bind(user.id).first()).not.toBeNull();
  });

  it('erases the user: rows, actor state and tokens, and frees the email', async () => {
    const first = await signup();
    const other = (await (await login(first.email, first.password)).json()) as Tokens;
    const response = await call('/v1/me', {
      method: 'DELETE',
      token: first.access_token,
      body: { password: first.password },
    });
    expect(response.status).toBe(204);
    const row = await env.DB.prepare('SELECT count(*) AS n FROM users WHERE id = ?')
      .bind(first.user.id)
      .first<{ n: number }>();
    expect(row?.n).toBe(0);
    expect(await auditTrail(first.user.id)).toEqual([]);
    const leftovers = await runInDurableObject(env.USER.getByName(first.user.id), (_i, state) => ({
      sessions: state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM sessions').one().n,
      profile: state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM profile').one().n,
    }));
    expect(leftovers).toEqual({ sessions: 0, profile: 0 });
    // A sign-in that raced the deletion and opened a session afterwards gets nothing from it.
    const raced = await env.USER.getByName(first.user.id).loginSucceeded(first.user, { ip: null, userAgent: null }, [
      'pwd',
    ]);
    const verdict = await env.USER.getByName(first.user.id).authorize(raced.sessionId, { limit: 10, window_s: 60 });
    expect(verdict.ok).toBe(false);
    await expectError(await call('/v1/me', { token: other.access_token }), 401, 'unauthorized');
    await expectError(
      await call('/v1/auth/refresh', { method: 'POST', body: { refresh_token: other.refresh_token } }),
      401,
      'unauthorized',
    );
    await expectError(await login(first.email, first.password), 401, 'unauthorized');
    expect(
      (await call('/v1/auth/signup', { method: 'POST', body: { email: first.email, password: first.password } }))
        .status,
    ).toBe(201);
  });
});
