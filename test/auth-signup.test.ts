import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, expectError, PASSWORD, signup, uniqueEmail } from './helpers';

const countUsers = async (email: string) =>
  (
    await env.DB.prepare('SELECT count(*) AS n FROM users WHERE lower(email) = lower(?)')
      .bind(email)
      .first<{ n: number }>()
  )?.n;

describe('POST /v1/auth/signup', () => {
  it('creates the account and answers 201 with the user and a token pair', async () => {
    const email = uniqueEmail();
    const response = await call('/v1/auth/signup', {
      method: 'POST',
      body: { email, password: PASSWORD, name: 'Ada' },
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      user: { email, name: 'Ada', mfa_enabled: false },
    });
    expect(typeof body.access_token).toBe('string');
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(Object.keys(body.user as object).sort()).toEqual([
      'created_at',
      'email',
      'email_verified',
      'id',
      'mfa_enabled',
      'name',
    ]);
  });

  it('stores the password only as an argon2id PHC string', async () => {
    const { user } = await signup();
    const row = await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
      .bind(user.id)
      .first<{ password_hash: string }>();
    expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row?.password_hash).not.toContain(PASSWORD);
  });

  it('answers 409 conflict for an email that exists, whatever its case', async () => {
    const { email } = await signup();
    const response = await call('/v1/auth/signup', {
      method: 'POST',
      body: { email: email.toUpperCase(), password: PASSWORD },
    });
    await expectError(response, 409, 'conflict');
    expect(await countUsers(email)).toBe(1);
  });

  it('refuses a common password, naming the field', async () => {
    const email = uniqueEmail();
    const response = await call('/v1/auth/signup', { method: 'POST', body: { email, password: 'password123' } });
    const body = await expectError(response, 400, 'invalid_request');
    expect(body.error.details).toEqual([{ path: 'password', message: 'is too common; choose another' }]);
    expect(await countUsers(email)).toBe(0);
  });

  it('refuses passwords shorter than 8 or longer than 128 characters', async () => {
    for (const password of ['Xq7#kp2', 'Zr9!'.repeat(33)]) {
      const response = await call('/v1/auth/signup', { method: 'POST', body: { email: uniqueEmail(), password } });
      const body = await expectError(response, 400, 'invalid_request');
      expect(body.error.details[0]?.path).toBe('password');
    }
  });

  it('accepts a long passphrase with no composition rules', async () => {
    const response = await call('/v1/auth/signup', {
      method: 'POST',
      body: { email: uniqueEmail(), password: 'all lower case words are fine here' },
    });
    expect(response.status).toBe(201);
  });

  it.each([
    ['a missing email', { password: PASSWORD }, 'email'],
    ['a missing password', { email: 'x@example.com' }, 'password'],
    ['an extra field', { email: 'x@example.com', password: PASSWORD, admin: true }, 'admin'],
    ['a number for the email', { email: 42, password: PASSWORD }, 'email'],
    ['an email that is not one', { email: 'not-an-email', password: PASSWORD }, 'email'],
    ['an array for the name', { email: 'x@example.com', password: PASSWORD, name: ['a'] }, 'name'],
  ])('refuses %s with invalid_request and changes nothing', async (_label, body, path) => {
    const response = await call('/v1/auth/signup', { method: 'POST', body });
    const error = await expectError(response, 400, 'invalid_request');
    expect(error.error.details.map((d) => d.path)).toContain(path);
    expect(await countUsers('x@example.com')).toBe(0);
  });

  it('refuses malformed JSON, a non-JSON content type and a JSON array', async () => {
    await expectError(await call('/v1/auth/signup', { method: 'POST', body: '{"email":' }), 400, 'invalid_request');
    await expectError(
      await call('/v1/auth/signup', {
        method: 'POST',
        body: 'email=a',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      400,
      'invalid_request',
    );
    await expectError(await call('/v1/auth/signup', { method: 'POST', body: [] }), 400, 'invalid_request');
  });

  it('refuses a body over 64 KiB with 413', async () => {
    const email = uniqueEmail();
    const response = await call('/v1/auth/signup', {
      method: 'POST',
      body: { email, password: PASSWORD, name: 'x'.repeat(70 * 1024) },
    });
    await expectError(response, 413, 'payload_too_large');
    expect(await countUsers(email)).toBe(0);
  });

  it('refuses an unknown query parameter', async () => {
    const response = await call('/v1/auth/signup?debug=1', {
      method: 'POST',
      body: { email: uniqueEmail(), password: PASSWORD },
    });
    await expectError(response, 400, 'invalid_request');
  });
});
