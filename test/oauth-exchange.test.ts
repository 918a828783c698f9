import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { decodeJwt } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { replaceBackupCodes } from '../core/db/mfa';
import { call, expectError, uniqueEmail } from './helpers';
import { exchange, landing, oauthEnv, roundTrip, send } from './oauth-helpers';
import { FakeProvider, mockProviders } from './oauth-provider';

describe('POST /v1/oauth/exchange', () => {
  let fake: FakeProvider;
  let e: Env;
  beforeAll(async () => {
    fake = await FakeProvider.create('https://id.exchange.test');
    e = oauthEnv({ acme: fake.config() });
  });
  afterEach(() => vi.restoreAllMocks());

  async function loginCode(
    user = { sub: `sub-${crypto.randomUUID()}`, email: uniqueEmail('x'), email_verified: true },
  ) {
    mockProviders(fake);
    const code = landing(await roundTrip(e, fake, 'acme', user)).searchParams.get('login_code');
    if (!code) throw new Error('no login code');
    return code;
  }

  it('trades a login code for tokens, once', async () => {
    const code = await loginCode();
    const response = await exchange(e, code);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    await expectError(await exchange(e, code), 401, 'unauthorized');
  });

  it('lets one of two concurrent exchanges of the same code win', async () => {
    const code = await loginCode();
    const statuses = (await Promise.all([exchange(e, code), exchange(e, code)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401]);
  });

  it('refuses a code older than 60 seconds', async () => {
    const code = await loginCode();
    const userId = code.split('.')[0]!;
    await runInDurableObject(env.USER.getByName(userId), (_instance, ctx) => {
      const row = ctx.storage.sql
        .exec<{ expires_at: number }>("SELECT expires_at FROM single_use_tokens WHERE purpose = 'login_code'")
        .one();
      expect(row.expires_at - Date.now()).toBeLessThanOrEqual(60_000);
      expect(row.expires_at - Date.now()).toBeGreaterThan(55_000);
      ctx.storage.sql.exec("UPDATE single_use_tokens SET expires_at = ? WHERE purpose = 'login_code'", Date.now() - 1);
    });
    await expectError(await exchange(e, code), 401, 'unauthorized');
  });

  it('answers tokens as cookies in cookie mode', async () => {
    const code = await loginCode();
    const response = await exchange(e, code, '?mode=cookie');
    expect(response.status).toBe(200);
    expect(await response.json()).not.toHaveProperty('access_token');
    expect(response.headers.getSetCookie().some((c) => c.startsWith('__Host-access='))).toBe(true);
  });

  it('asks for the second factor first when the account has MFA on', async () => {
    const user = { sub: `sub-${crypto.randomUUID()}`, email: uniqueEmail('mfa'), email_verified: true };
    const first = await exchange(e, await loginCode(user));
    const { user: profile } = (await first.json()) as { user: { id: string } };
    await env.DB.prepare('UPDATE users SET mfa_enabled = 1 WHERE id = ?').bind(profile.id).run();
    const response = await exchange(e, await loginCode(user));
    const body = (await expectError(response, 401, 'mfa_required')) as unknown as { mfa_token: string };
    expect(body.mfa_token).toMatch(new RegExp(`^${profile.id}\\.`));
    await replaceBackupCodes(env.DB, profile.id, ['abcde-fghij']);
    const done = await call('/v1/auth/mfa', {
      method: 'POST',
      body: { mfa_token: body.mfa_token, code: 'abcde-fghij' },
    });
    expect(done.status).toBe(200);
    const tokens = (await done.json()) as { access_token: string };
    expect(decodeJwt(tokens.access_token).amr).toEqual(['oauth', 'otp']);
  });

  it('refuses bad input: no code, a wrong shape, other fields, not JSON', async () => {
    for (const body of [{}, { login_code: '' }, { login_code: 42 }, { login_code: 'a.b', extra: 1 }]) {
      await expectError(await send(e, '/v1/oauth/exchange', { method: 'POST', body }), 400, 'invalid_request');
    }
    await expectError(
      await send(e, '/v1/oauth/exchange', {
        method: 'POST',
        body: 'login_code=x',
        headers: { 'content-type': 'text/plain' },
      }),
      400,
      'invalid_request',
    );
    for (const login_code of ['no-dot', 'user.short', `unknown-user.${'A'.repeat(43)}`, `../x.${'A'.repeat(43)}`]) {
      await expectError(
        await send(e, '/v1/oauth/exchange', { method: 'POST', body: { login_code } }),
        401,
        'unauthorized',
      );
    }
  });

  it('refuses a code presented as another user’s', async () => {
    const mine = await loginCode();
    const theirs = await loginCode();
    const forged = `${theirs.split('.')[0]}.${mine.split('.')[1]}`;
    await expectError(await exchange(e, forged), 401, 'unauthorized');
    expect((await exchange(e, mine)).status).toBe(200);
  });
});
