import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, expectError, login, signup } from './helpers';
import { refreshed, staleSignIn } from './sign-in-age';

/** An account as an OAuth sign-up leaves it: no password. */
async function passwordless(user?: Awaited<ReturnType<typeof signup>>) {
  user ??= await signup();
  await env.DB.prepare('UPDATE users SET password_hash = NULL WHERE id = ?').bind(user.user.id).run();
  return user;
}

describe('accounts without a password (OAuth sign-ups)', () => {
  it('set a first password with a recent sign-in, then sign in with it', async () => {
    const user = await passwordless();
    const response = await call('/v1/me/password', {
      method: 'POST',
      token: user.access_token,
      body: { new_password: 'my first real passphrase' },
    });
    expect(response.status).toBe(200);
    expect((await login(user.email, 'my first real passphrase')).status).toBe(200);
  });

  it('delete themselves with a recent sign-in (GDPR erasure)', async () => {
    const user = await passwordless();
    expect((await call('/v1/me', { method: 'DELETE', token: user.access_token, body: {} })).status).toBe(204);
    expect(await env.DB.prepare('SELECT id FROM users WHERE id = ?').bind(user.user.id).first()).toBeNull();
  });

  it('must sign in again when the last sign-in is older than 10 minutes, however fresh the token', async () => {
    const user = await passwordless(await staleSignIn(11));
    const stale = (await refreshed(user)).access_token;
    const erase = await expectError(
      await call('/v1/me', { method: 'DELETE', token: stale, body: {} }),
      401,
      'reauth_required',
    );
    expect((erase as unknown as { proofs: string[] }).proofs).toEqual([]);
    await expectError(
      await call('/v1/me/password', {
        method: 'POST',
        token: stale,
        body: { new_password: 'my first real passphrase' },
      }),
      401,
      'reauth_required',
    );
    expect(await env.DB.prepare('SELECT id FROM users WHERE id = ?').bind(user.user.id).first()).not.toBeNull();
  });

  it('still need the password when the account has one', async () => {
    const user = await signup();
    const body = await expectError(
      await call('/v1/me', { method: 'DELETE', token: user.access_token, body: {} }),
      400,
      'invalid_request',
    );
    expect(body.error.details).toEqual([{ path: 'password', message: 'is required' }]);
  });
});
