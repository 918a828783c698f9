import { env } from 'cloudflare:workers';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { call, expectError, freshIp, login, signup } from './helpers';
import { enrolTotp } from './mfa-helpers';
import { registerTestDevice } from './realtime-helpers';
import { ageSignIn, refreshed, staleSignIn } from './sign-in-age';
import { nowSeconds, totpAt } from './totp-reference';

type ReauthBody = { error: { code: string }; proofs: string[]; max_age_s: number };

const count = async (table: string, userId: string) =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE user_id = ?`).bind(userId).first<{ n: number }>())!.n;

const newKey = { kty: 'OKP', crv: 'Ed25519', x: 'O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik' };

/** Each sensitive change, as a request with an optional body to add `reauth` to. */
const SENSITIVE: Record<string, { path: string; method: string; body?: Record<string, unknown> }> = {
  'MFA enrolment': { path: '/v1/me/mfa/totp', method: 'POST' },
  'API key creation': { path: '/v1/me/api-keys', method: 'POST', body: { name: 'ci', scopes: ['read'] } },
  'device registration': { path: '/v1/devices', method: 'POST', body: { name: 'laptop', public_key: newKey } },
};

describe('auth_time: the last real sign-in, never renewed by a refresh', () => {
  it('is carried in the access token and kept through a refresh', async () => {
    const user = await staleSignIn(11);
    const claims = decodeJwt(user.access_token) as { iat: number; auth_time: number };
    expect(nowSeconds() - claims.iat).toBeLessThan(5);
    expect(nowSeconds() - claims.auth_time).toBeGreaterThanOrEqual(11 * 60 - 1);
    const again = decodeJwt((await refreshed(user)).access_token) as { auth_time: number };
    expect(again.auth_time).toBe(claims.auth_time);
  });

  it('is the time of sign-in for a password login', async () => {
    const user = await signup();
    const response = await login(user.email, user.password, freshIp());
    const { access_token } = (await response.json()) as { access_token: string };
    expect(nowSeconds() - (decodeJwt(access_token) as { auth_time: number }).auth_time).toBeLessThan(5);
  });
});

describe('step-up for sensitive changes', () => {
  for (const [name, request] of Object.entries(SENSITIVE)) {
    it(`refuses ${name} with a refreshed token of an old sign-in, and changes nothing`, async () => {
      const user = await staleSignIn(11);
      const response = await call(request.path, {
        method: request.method,
        token: user.access_token,
        body: request.body,
      });
      const body = (await expectError(response, 401, 'reauth_required')) as unknown as ReauthBody;
      expect(body.proofs).toEqual(['password']);
      expect(body.max_age_s).toBe(600);
      expect(await count('mfa_totp', user.user.id)).toBe(0);
      expect(await count('api_keys', user.user.id)).toBe(0);
      expect(await count('devices', user.user.id)).toBe(0);
    });

    it(`lets ${name} through with the password in reauth`, async () => {
      const user = await staleSignIn(11);
      const response = await call(request.path, {
        method: request.method,
        token: user.access_token,
        body: { ...request.body, reauth: { password: user.password } },
      });
      expect(response.status).toBeLessThan(300);
    });
  }

  it('lets the next change through without a proof once one passed (the session is recent again)', async () => {
    const user = await staleSignIn(11);
    const first = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'one', scopes: ['read'], reauth: { password: user.password } },
    });
    expect(first.status).toBe(201);
    const second = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'two', scopes: ['read'] },
    });
    expect(second.status).toBe(201);
    // And the next token says so.
    const claims = decodeJwt((await refreshed(user)).access_token) as { auth_time: number; amr: string[] };
    expect(nowSeconds() - claims.auth_time).toBeLessThan(5);
  });

  it('needs no proof within 10 minutes of signing in', async () => {
    const user = await staleSignIn(9);
    const response = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'recent', scopes: ['read'] },
    });
    expect(response.status).toBe(201);
  });

  it('refuses a wrong password with 403 and counts it in the sign-in lockout', async () => {
    const user = await staleSignIn(11);
    const attempt = () =>
      call('/v1/me/api-keys', {
        method: 'POST',
        token: user.access_token,
        body: { name: 'x', scopes: ['read'], reauth: { password: 'not the password at all' } },
      });
    for (let i = 0; i < 5; i++) await expectError(await attempt(), 403, 'forbidden');
    await expectError(await attempt(), 423, 'account_locked');
    await expectError(await login(user.email, user.password, freshIp()), 423, 'account_locked');
    expect(await count('api_keys', user.user.id)).toBe(0);
  });

  it('accepts a TOTP code as the proof when MFA is on', async () => {
    const user = await signup();
    const { secret } = await enrolTotp(user);
    await ageSignIn(user.user.id, 11);
    const stale = await refreshed(user);
    const missing = await call('/v1/me/api-keys', {
      method: 'POST',
      token: stale.access_token,
      body: { name: 'k', scopes: ['read'] },
    });
    expect(((await expectError(missing, 401, 'reauth_required')) as unknown as ReauthBody).proofs).toEqual([
      'password',
      'otp',
    ]);
    const withCode = await call('/v1/me/api-keys', {
      method: 'POST',
      token: stale.access_token,
      body: { name: 'k', scopes: ['read'], reauth: { code: await totpAt(secret, nowSeconds()) } },
    });
    expect(withCode.status).toBe(201);
  });

  it('refuses a code as the proof when MFA is off', async () => {
    const user = await staleSignIn(11);
    const response = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'k', scopes: ['read'], reauth: { code: '123456' } },
    });
    await expectError(response, 401, 'reauth_required');
  });

  it('refuses unknown members of reauth and a malformed reauth', async () => {
    const user = await signup();
    for (const reauth of [{ password: user.password, extra: 1 }, 'password', { code: 12 }]) {
      const response = await call('/v1/me/api-keys', {
        method: 'POST',
        token: user.access_token,
        body: { name: 'k', scopes: ['read'], reauth },
      });
      await expectError(response, 400, 'invalid_request');
    }
    expect(await count('api_keys', user.user.id)).toBe(0);
  });

  it('never lets an API key register a device', async () => {
    const user = await signup();
    const created = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'w', scopes: ['read', 'write'] },
    });
    const { key } = (await created.json()) as { key: string };
    const response = await call('/v1/devices', { method: 'POST', token: key, body: { name: 'x', public_key: newKey } });
    await expectError(response, 403, 'forbidden');
    expect(await count('devices', user.user.id)).toBe(0);
  });

  it('guards API key rotation', async () => {
    const user = await signup();
    const created = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'r', scopes: ['read'] },
    });
    const { id } = (await created.json()) as { id: string };
    await ageSignIn(user.user.id, 11);
    const stale = await refreshed(user);
    await expectError(
      await call(`/v1/me/api-keys/${id}/rotate`, { method: 'POST', token: stale.access_token }),
      401,
      'reauth_required',
    );
    const rotated = await call(`/v1/me/api-keys/${id}/rotate`, {
      method: 'POST',
      token: stale.access_token,
      body: { reauth: { password: user.password } },
    });
    expect(rotated.status).toBe(200);
  });
});

describe('POST /v1/auth/reauth', () => {
  it('makes the session recent with the password', async () => {
    const user = await staleSignIn(11);
    const response = await call('/v1/auth/reauth', {
      method: 'POST',
      token: user.access_token,
      body: { password: user.password },
    });
    expect(response.status).toBe(204);
    const created = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'after reauth', scopes: ['read'] },
    });
    expect(created.status).toBe(201);
  });

  it('refuses a wrong password, an empty proof, extra fields, bad JSON and no token', async () => {
    const user = await staleSignIn(11);
    const send = (body: unknown, token: string | undefined = user.access_token) =>
      call('/v1/auth/reauth', { method: 'POST', token, body });
    await expectError(await send({ password: 'wrong wrong wrong' }), 403, 'forbidden');
    await expectError(await send({}), 400, 'invalid_request');
    await expectError(await send({ password: user.password, admin: true }), 400, 'invalid_request');
    await expectError(await send('{"password":'), 400, 'invalid_request');
    await expectError(await send({ password: user.password }, 'not-a-token'), 401, 'unauthorized');
    await expectError(await send({ password: 12 }), 400, 'invalid_request');
    const stillStale = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'k', scopes: ['read'] },
    });
    await expectError(stillStale, 401, 'reauth_required');
  });

  it('acts on the caller’s own session only', async () => {
    const a = await staleSignIn(11);
    const b = await staleSignIn(11);
    const proved = await call('/v1/auth/reauth', {
      method: 'POST',
      token: a.access_token,
      body: { password: a.password },
    });
    expect(proved.status).toBe(204);
    await expectError(
      await call('/v1/me/api-keys', { method: 'POST', token: b.access_token, body: { name: 'k', scopes: ['read'] } }),
      401,
      'reauth_required',
    );
  });
});

describe('a password change', () => {
  it('revokes other sessions, API keys and devices, and says so', async () => {
    const user = await signup();
    const other = await login(user.email, user.password, freshIp());
    const otherTokens = (await other.json()) as { access_token: string };
    const created = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'k', scopes: ['read'] },
    });
    const { key } = (await created.json()) as { key: string };
    const device = await registerTestDevice(user.access_token);
    const response = await call('/v1/me/password', {
      method: 'POST',
      token: user.access_token,
      body: { current_password: user.password, new_password: 'a brand new passphrase here' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      sessions_revoked: 1,
      api_keys_revoked: 1,
      devices_revoked: 1,
      connections_revoked: 0,
    });
    await expectError(await call('/v1/me', { token: key }), 401, 'unauthorized');
    await expectError(await call('/v1/me', { token: otherTokens.access_token }), 401, 'unauthorized');
    const row = await env.DB.prepare('SELECT revoked_at FROM devices WHERE id = ?')
      .bind(device.id)
      .first<{ revoked_at: number | null }>();
    expect(row?.revoked_at).not.toBeNull();
    expect((await call('/v1/me', { token: user.access_token })).status).toBe(200);
  });

  it('keeps API keys and devices when told to', async () => {
    const user = await signup();
    const created = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'k', scopes: ['read'] },
    });
    const { key } = (await created.json()) as { key: string };
    await registerTestDevice(user.access_token);
    const response = await call('/v1/me/password', {
      method: 'POST',
      token: user.access_token,
      body: {
        current_password: user.password,
        new_password: 'a brand new passphrase here',
        keep_api_keys: true,
        keep_devices: true,
      },
    });
    expect(await response.json()).toEqual({
      sessions_revoked: 0,
      api_keys_revoked: 0,
      devices_revoked: 0,
      connections_revoked: 0,
    });
    expect((await call('/v1/me', { token: key })).status).toBe(200);
    await expectError(
      await call('/v1/me/password', {
        method: 'POST',
        token: user.access_token,
        body: {
          current_password: 'a brand new passphrase here',
          new_password: 'another one entirely',
          keep_devices: 'yes',
        },
      }),
      400,
      'invalid_request',
    );
  });
});
