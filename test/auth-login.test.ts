import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { hashPassword } from '../core/password';
import { auditTypes, call, expectError, freshIp, login, PASSWORD, signup, uniqueEmail } from './helpers';

describe('POST /v1/auth/login', () => {
  it('signs in with the right password and records it', async () => {
    const { email, user } = await signup();
    const response = await login(email.toUpperCase(), PASSWORD);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ user: { id: user.id }, token_type: 'Bearer' });
    expect(await auditTypes(user.id)).toEqual(['signup', 'login_succeeded']);
  });

  it('gives an unknown email and a wrong password the same answer', async () => {
    const { email } = await signup();
    const wrong = await expectError(await login(email, 'not the password'), 401, 'unauthorized');
    const unknown = await expectError(await login('nobody-here@example.com', 'not the password'), 401, 'unauthorized');
    expect(wrong.error.message).toBe(unknown.error.message);
  });

  it('locks the account after 5 failures in a row, then refuses even the right password with 423', async () => {
    const { email, user } = await signup();
    for (let i = 0; i < 5; i++)
      await expectError(await login(email, 'wrong password!', freshIp()), 401, 'unauthorized');
    const lockedOut = await login(email, PASSWORD, freshIp());
    await expectError(lockedOut, 423, 'account_locked');
    expect(Number(lockedOut.headers.get('retry-after'))).toBeGreaterThan(29 * 60);
    // Failure bookkeeping is written after the answer (so it costs no time an attacker can see).
    await vi.waitFor(async () => {
      const types = await auditTypes(user.id);
      expect(types.filter((t) => t === 'login_failed')).toHaveLength(5);
      expect(types).toContain('account_locked');
    });
  });

  it('admits no more than 5 wrong passwords even when they arrive at once', async () => {
    const { email } = await signup();
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () => login(email, 'wrong password!', freshIp()).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 423)).toHaveLength(5);
  });

  it('lets the lock expire after its window', async () => {
    const { email, user } = await signup();
    for (let i = 0; i < 5; i++) await login(email, 'wrong password!', freshIp());
    await expectError(await login(email, PASSWORD, freshIp()), 423, 'account_locked');
    const actor = env.USER.getByName(user.id);
    const { runInDurableObject } = await import('cloudflare:test');
    await runInDurableObject(actor, (_instance, state) => {
      state.storage.sql.exec('UPDATE login_guard SET locked_until = ?', Date.now() - 1);
    });
    expect((await login(email, PASSWORD, freshIp())).status).toBe(200);
  });

  it('resets the failure count on a success', async () => {
    const { email } = await signup();
    for (let i = 0; i < 4; i++) await login(email, 'wrong password!', freshIp());
    expect((await login(email, PASSWORD, freshIp())).status).toBe(200);
    for (let i = 0; i < 4; i++) await login(email, 'wrong password!', freshIp());
    expect((await login(email, PASSWORD, freshIp())).status).toBe(200);
  });

  it('limits sign-in attempts per address and says so in headers', async () => {
    const ip = freshIp();
    const email = uniqueEmail('nobody');
    const responses: Response[] = [];
    for (let i = 0; i < 6; i++) responses.push(await login(email, 'whatever-password', ip));
    expect(responses.slice(0, 5).map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(responses[0]!.headers.get('x-ratelimit-limit')).toBe('5');
    expect(responses[0]!.headers.get('x-ratelimit-remaining')).toBe('4');
    expect(Number(responses[0]!.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    const limited = responses[5]!;
    await expectError(limited, 429, 'rate_limited');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('counts exactly under concurrent requests from one address', async () => {
    const ip = freshIp();
    const email = uniqueEmail('nobody');
    const statuses = await Promise.all(
      Array.from({ length: 12 }, () => login(email, 'whatever-password', ip).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });

  it('shares the auth limit between signup and login', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) await call('/v1/auth/signup', { method: 'POST', body: {}, ip });
    await expectError(await login(uniqueEmail('nobody'), 'whatever-password', ip), 429, 'rate_limited');
  });

  it('upgrades a hash made with older parameters on the next sign-in', async () => {
    const { email, user } = await signup();
    const weak = hashPassword(PASSWORD, { m: 1024, t: 1, p: 1 });
    await env.DB.prepare('UPDATE users SET password_hash = ? WHERE id = ?').bind(weak, user.id).run();
    expect((await login(email, PASSWORD)).status).toBe(200);
    const row = await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
      .bind(user.id)
      .first<{ password_hash: string }>();
    expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await login(email, PASSWORD)).status).toBe(200);
  });

  it('refuses bad input without counting a failure', async () => {
    const { email } = await signup();
    await expectError(await call('/v1/auth/login', { method: 'POST', body: { email } }), 400, 'invalid_request');
    await expectError(
      await call('/v1/auth/login', { method: 'POST', body: { email, password: 7 } }),
      400,
      'invalid_request',
    );
    await expectError(
      await call('/v1/auth/login', { method: 'POST', body: { email, password: PASSWORD, x: 1 } }),
      400,
      'invalid_request',
    );
    await expectError(await call('/v1/auth/login', { method: 'POST', body: '{' }), 400, 'invalid_request');
    await expectError(
      await call('/v1/auth/login', { method: 'POST', body: { email, password: 'p'.repeat(2000) } }),
      400,
      'invalid_request',
    );
    for (let i = 0; i < 4; i++) await login(email, 'wrong password!', freshIp());
    expect((await login(email, PASSWORD, freshIp())).status).toBe(200);
  });
});
