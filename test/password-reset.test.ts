import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { call, expectError, freshIp, login, signup, uniqueEmail } from './helpers';
import { catchMail, type Relay } from './mail';

const NEW_PASSWORD = 'a brand new passphrase 42';
const forgot = (email: unknown, ip?: string) =>
  call('/v1/auth/password/forgot', { method: 'POST', body: { email }, ip });
const reset = (token: unknown, new_password: unknown = NEW_PASSWORD) =>
  call('/v1/auth/password/reset', { method: 'POST', body: { token, new_password } });
const passwordHash = (userId: string) =>
  env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
    .bind(userId)
    .first<{ password_hash: string }>()
    .then((row) => row?.password_hash);

describe('password reset', () => {
  let relay: Relay;
  beforeEach(() => {
    relay = catchMail();
  });
  afterEach(() => vi.restoreAllMocks());

  it('answers 202 alike for a known and an unknown email, and mails only the account', async () => {
    const user = await signup();
    const known = await forgot(user.email.toUpperCase());
    const unknown = await forgot(uniqueEmail('nobody'));
    expect([known.status, unknown.status]).toEqual([202, 202]);
    expect(await known.text()).toBe(await unknown.text());
    const mail = await relay.next(user.email, 'password_reset');
    expect(mail.json.text).toContain(`${env.APP_URL}/reset-password?token=`);
    expect(relay.mails.filter((m) => m.json.kind === 'password_reset')).toHaveLength(1);
  });

  it('sets the password, revokes every session, key and device, clears the lockout, and notifies', async () => {
    const user = await signup();
    const key = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'ci', scopes: ['read'] },
    });
    const { key: apiKey } = (await key.json()) as { key: string };
    // Locked out by five wrong passwords.
    for (let i = 0; i < 5; i++) await login(user.email, 'wrong password!', freshIp());
    await expectError(await login(user.email, user.password, freshIp()), 423, 'account_locked');

    expect((await forgot(user.email)).status).toBe(202);
    const token = await relay.token(user.email, 'password_reset');
    const response = await reset(token);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      sessions_revoked: 1,
      api_keys_revoked: 1,
      devices_revoked: 0,
      connections_revoked: 0,
    });

    await expectError(await call('/v1/me', { token: user.access_token }), 401, 'unauthorized');
    await expectError(await call('/v1/me', { token: apiKey }), 401, 'unauthorized');
    await expectError(await login(user.email, user.password, freshIp()), 401, 'unauthorized');
    expect((await login(user.email, NEW_PASSWORD, freshIp())).status).toBe(200);
    await relay.next(user.email, 'notice.password_reset');
    // Single use.
    await expectError(await reset(token, 'yet another passphrase 7'), 400, 'invalid_request');
  });

  it('keeps the link usable after a refused password, and changes nothing', async () => {
    const user = await signup();
    await forgot(user.email);
    const token = await relay.token(user.email, 'password_reset');
    const before = await passwordHash(user.user.id);
    const weak = await expectError(await reset(token, 'short'), 400, 'invalid_request');
    expect(weak.error.details[0]?.path).toBe('new_password');
    expect(await passwordHash(user.user.id)).toBe(before);
    expect((await call('/v1/me', { token: user.access_token })).status).toBe(200);
    expect((await reset(token)).status).toBe(200);
  });

  it('refuses expired, forged and other users’ tokens, and bad bodies', async () => {
    const [alice, bob] = [await signup(), await signup()];
    await forgot(alice.email);
    const token = await relay.token(alice.email, 'password_reset');
    const secret = token.split('.')[1]!;
    const before = await passwordHash(bob.user.id);
    for (const forged of [`${bob.user.id}.${secret}`, `${alice.user.id}.${'B'.repeat(43)}`, 'x', `${token}x`]) {
      await expectError(await reset(forged), 400, 'invalid_request');
    }
    // A verification token is not a reset token.
    const verifyToken = await relay.token(alice.email, 'verify_email');
    await expectError(await reset(verifyToken), 400, 'invalid_request');
    expect(await passwordHash(bob.user.id)).toBe(before);

    await expectError(
      await call('/v1/auth/password/reset', { method: 'POST', body: { token } }),
      400,
      'invalid_request',
    );
    await expectError(await reset(token, 12345678), 400, 'invalid_request');
    await expectError(
      await call('/v1/auth/password/reset', { method: 'POST', body: { token, new_password: NEW_PASSWORD, x: 1 } }),
      400,
      'invalid_request',
    );
    await expectError(await forgot('not an email'), 400, 'invalid_request');
    await expectError(await forgot(42), 400, 'invalid_request');
    await expectError(
      await call('/v1/auth/password/forgot', { method: 'POST', body: { email: alice.email, extra: true } }),
      400,
      'invalid_request',
    );
    await expectError(await call('/v1/auth/password/forgot', { method: 'POST', body: '{' }), 400, 'invalid_request');

    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 30 * 60_000 + 1);
    await expectError(await reset(token), 400, 'invalid_request');
    vi.mocked(Date.now).mockRestore();
    expect((await call('/v1/me', { token: alice.access_token })).status).toBe(200);
  });

  it('voids older reset links once one is used', async () => {
    const user = await signup();
    await forgot(user.email);
    const first = await relay.token(user.email, 'password_reset');
    await forgot(user.email);
    const second = await relay.token(user.email, 'password_reset');
    expect((await reset(second)).status).toBe(200);
    await expectError(await reset(first, 'yet another passphrase 7'), 400, 'invalid_request');
  });

  it('stops mailing one account past its email limit, still answering 202', async () => {
    const user = await signup();
    await relay.next(user.email, 'verify_email');
    // The signup's verification counts: 4 more links within the hour.
    for (let i = 0; i < 6; i++) expect((await forgot(user.email)).status).toBe(202);
    await vi.waitFor(() => expect(relay.mails.filter((m) => m.json.kind === 'password_reset')).toHaveLength(4));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(relay.mails.filter((m) => m.json.kind === 'password_reset')).toHaveLength(4);
  });

  it('limits requests per address', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) expect((await forgot(uniqueEmail(), ip)).status).toBe(202);
    await expectError(await forgot(uniqueEmail(), ip), 429, 'rate_limited');
  });
});
