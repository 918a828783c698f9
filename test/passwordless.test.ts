import { env } from 'cloudflare:workers';
import { decodeJwt, importJWK, type JWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { call, expectError, login, signup } from './helpers';

/** An account as an OAuth sign-up leaves it: no password. */
async function passwordless() {
  const user = await signup();
  await env.DB.prepare('UPDATE users SET password_hash = NULL WHERE id = ?').bind(user.user.id).run();
  return user;
}

/** The same session's token, as if it had been issued `minutes` ago. */
async function olderToken(accessToken: string, minutes: number): Promise<string> {
  const [key] = JSON.parse(env.JWT_SIGNING_KEYS) as (JWK & { kid: string })[];
  const claims = decodeJwt(accessToken);
  const iat = Math.floor(Date.now() / 1000) - minutes * 60;
  return new SignJWT({ sid: claims.sid, amr: claims.amr })
    .setProtectedHeader({ alg: 'ES256', kid: key!.kid, typ: 'at+jwt' })
    .setIssuer(env.JWT_ISSUER)
    .setAudience(env.JWT_AUDIENCE)
    .setSubject(claims.sub!)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 900)
    .setJti(crypto.randomUUID())
    .sign(await importJWK(key!, 'ES256'));
}

describe('accounts without a password (OAuth sign-ups)', () => {
  it('set a first password with a recent sign-in, then sign in with it', async () => {
    const user = await passwordless();
    const response = await call('/v1/me/password', {
      method: 'POST',
      token: user.access_token,
      body: { new_password: 'my first real passphrase' },
    });
    expect(response.status).toBe(204);
    expect((await login(user.email, 'my first real passphrase')).status).toBe(200);
  });

  it('delete themselves with a recent sign-in (GDPR erasure)', async () => {
    const user = await passwordless();
    expect((await call('/v1/me', { method: 'DELETE', token: user.access_token, body: {} })).status).toBe(204);
    expect(await env.DB.prepare('SELECT id FROM users WHERE id = ?').bind(user.user.id).first()).toBeNull();
  });

  it('must sign in again when the session’s token is older than 10 minutes', async () => {
    const user = await passwordless();
    const stale = await olderToken(user.access_token, 12);
    await expectError(await call('/v1/me', { method: 'DELETE', token: stale, body: {} }), 403, 'forbidden');
    await expectError(
      await call('/v1/me/password', {
        method: 'POST',
        token: stale,
        body: { new_password: 'my first real passphrase' },
      }),
      403,
      'forbidden',
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
