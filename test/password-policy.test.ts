import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { passwordProblem } from '../core/password-policy';
import { call, expectError, login, PASSWORD, signup, uniqueEmail } from './helpers';

const ada = { email: 'ada.lovelace@example.com', name: 'Ada King' };

describe('password policy', () => {
  it('refuses passwords of only whitespace or control characters', async () => {
    for (const password of [' '.repeat(12), '\t\n\r '.repeat(3), '\u3000'.repeat(10), '\u200b\u0001'.repeat(5)]) {
      expect(await passwordProblem(password, ada)).toBe('must not be only spaces or control characters');
    }
  });

  it('refuses the email, its local part and a word of the local part, in any case', async () => {
    for (const password of ['Ada.Lovelace@Example.com', 'ADA.LOVELACE', 'my lovelace passphrase']) {
      expect(await passwordProblem(password, ada)).toBe('must not contain your email address or a part of it');
    }
  });

  it('refuses the name or a word of it, but not words shorter than 4 characters', async () => {
    expect(await passwordProblem('ada king forever', ada)).toBe('must not contain your name');
    expect(await passwordProblem('the KING of passwords', ada)).toBe('must not contain your name');
    expect(await passwordProblem('ada was here, 1843', ada)).toBeNull();
    expect(await passwordProblem('joe is not here', { email: 'joe@example.com', name: 'Al' })).toBeNull();
  });

  it('judges the NFKC form, the one that is hashed', async () => {
    // Full-width letters fold to "password1", a common password.
    expect(await passwordProblem('ｐａｓｓｗｏｒｄ１', ada)).toBe('is too common; choose another');
    expect(await passwordProblem('my ＬＯＶＥＬＡＣＥ pass', ada)).toBe(
      'must not contain your email address or a part of it',
    );
    // One ligature code point is 3 characters once normalised.
    expect(await passwordProblem('\ufb03\ufb03\ufb03', ada)).toBeNull();
  });
});

describe('password policy at the edge', () => {
  it('refuses a signup whose password holds its email, says why, and creates nothing', async () => {
    const email = uniqueEmail('marguerite');
    const response = await call('/v1/auth/signup', {
      method: 'POST',
      body: { email, password: 'marguerite and her long passphrase' },
    });
    const body = await expectError(response, 400, 'invalid_request');
    expect(body.error.details).toEqual([
      { path: 'password', message: 'must not contain your email address or a part of it' },
    ]);
    expect(await env.DB.prepare('SELECT id FROM users WHERE email = ?').bind(email).first()).toBeNull();
  });

  it('refuses a signup with a blank password', async () => {
    const body = await expectError(
      await call('/v1/auth/signup', { method: 'POST', body: { email: uniqueEmail(), password: ' \t'.repeat(8) } }),
      400,
      'invalid_request',
    );
    expect(body.error.details).toEqual([
      { path: 'password', message: 'must not be only spaces or control characters' },
    ]);
  });

  it('refuses a new password that holds the name and keeps the old one', async () => {
    const user = await signup({ name: 'Grace Hopper' });
    const body = await expectError(
      await call('/v1/me/password', {
        method: 'POST',
        token: user.access_token,
        body: { current_password: PASSWORD, new_password: 'grace under pressure 1906' },
      }),
      400,
      'invalid_request',
    );
    expect(body.error.details).toEqual([{ path: 'new_password', message: 'must not contain your name' }]);
    expect((await login(user.email, PASSWORD)).status).toBe(200);
  });

  it('applies to the first password of an account without one', async () => {
    const user = await signup({ email: uniqueEmail('katherine') });
    await env.DB.prepare('UPDATE users SET password_hash = NULL WHERE id = ?').bind(user.user.id).run();
    await expectError(
      await call('/v1/me/password', {
        method: 'POST',
        token: user.access_token,
        body: { new_password: 'KATHERINE johnson 1918' },
      }),
      400,
      'invalid_request',
    );
    const row = await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
      .bind(user.user.id)
      .first<{ password_hash: string | null }>();
    expect(row?.password_hash).toBeNull();
  });
});
