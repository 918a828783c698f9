import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { call, expectError, freshIp, login, signup, type Tokens } from './helpers';
import { enrolTotp } from './mfa-helpers';
import { nowSeconds, totpAt } from './totp-reference';

type User = Awaited<ReturnType<typeof signup>>;

const enrol = enrolTotp;

async function mfaToken(user: User): Promise<string> {
  const response = await login(user.email, user.password, freshIp());
  const body = await expectError(response, 401, 'mfa_required');
  const token = (body as unknown as { mfa_token: string }).mfa_token;
  expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  return token;
}

const completeMfa = (mfa_token: string, code: string) =>
  call('/v1/auth/mfa', { method: 'POST', body: { mfa_token, code } });

describe('TOTP enrolment', () => {
  it('answers the secret, an otpauth URI and a QR code, and leaves MFA off until confirmed', async () => {
    const user = await signup();
    const response = await call('/v1/me/mfa/totp', { method: 'POST', token: user.access_token });
    const body = (await response.json()) as { secret: string; otpauth_uri: string; qr_svg: string };
    expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(body.otpauth_uri).toContain(`secret=${body.secret}`);
    expect(body.otpauth_uri).toContain('issuer=durable-backend');
    expect(body.qr_svg).toMatch(/^<svg/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await (await call('/v1/me', { token: user.access_token })).json()).toMatchObject({ mfa_enabled: false });
    expect((await login(user.email, user.password)).status).toBe(200);
  });

  it('keeps the secret encrypted at rest', async () => {
    const user = await signup();
    const { secret } = (await (await call('/v1/me/mfa/totp', { method: 'POST', token: user.access_token })).json()) as {
      secret: string;
    };
    const row = await env.DB.prepare('SELECT secret_enc FROM mfa_totp WHERE user_id = ?')
      .bind(user.user.id)
      .first<{ secret_enc: string }>();
    expect(row?.secret_enc).toMatch(/^v2\./);
    expect(row?.secret_enc).not.toContain(secret);
  });

  it('refuses a wrong confirmation code with 400 and stays off', async () => {
    const user = await signup();
    const { secret } = (await (await call('/v1/me/mfa/totp', { method: 'POST', token: user.access_token })).json()) as {
      secret: string;
    };
    const wrong = await totpAt(secret, nowSeconds(), 3);
    const response = await call('/v1/me/mfa/totp/confirm', {
      method: 'POST',
      token: user.access_token,
      body: { code: wrong },
    });
    await expectError(response, 400, 'invalid_request');
    expect(await (await call('/v1/me', { token: user.access_token })).json()).toMatchObject({ mfa_enabled: false });
  });

  it('turns MFA on with a correct code and answers 10 backup codes', async () => {
    const user = await signup();
    const { backupCodes } = await enrol(user);
    expect(backupCodes).toHaveLength(10);
    expect(await (await call('/v1/me', { token: user.access_token })).json()).toMatchObject({ mfa_enabled: true });
    const stored = await env.DB.prepare('SELECT code_hash FROM mfa_backup_codes WHERE user_id = ?')
      .bind(user.user.id)
      .all<{ code_hash: string }>();
    expect(stored.results).toHaveLength(10);
    expect(JSON.stringify(stored.results)).not.toContain(backupCodes[0]!);
  });

  it('refuses a second enrolment while MFA is on, and confirmation with nothing pending', async () => {
    const user = await signup();
    await expectError(
      await call('/v1/me/mfa/totp/confirm', { method: 'POST', token: user.access_token, body: { code: '123456' } }),
      409,
      'conflict',
    );
    await enrol(user);
    await expectError(await call('/v1/me/mfa/totp', { method: 'POST', token: user.access_token }), 409, 'conflict');
  });

  it('never replaces a confirmed secret, even when the cached profile says MFA is off', async () => {
    const user = await signup();
    const { secret } = await enrol(user);
    const before = await env.DB.prepare('SELECT secret_enc FROM mfa_totp WHERE user_id = ?').bind(user.user.id).first();
    // A stale copy in the actor must not open a way around turning MFA off.
    await runInDurableObject(env.USER.getByName(user.user.id), (_i, state) => {
      const row = state.storage.sql.exec<{ data: string }>('SELECT data FROM profile').one();
      const profile = { ...(JSON.parse(row.data) as object), mfa_enabled: false };
      state.storage.sql.exec('UPDATE profile SET data = ?', JSON.stringify(profile));
    });
    const { evictDurableObject } = await import('cloudflare:test');
    await evictDurableObject(env.USER.getByName(user.user.id));
    await expectError(await call('/v1/me/mfa/totp', { method: 'POST', token: user.access_token }), 409, 'conflict');
    const after = await env.DB.prepare('SELECT secret_enc, confirmed_at FROM mfa_totp WHERE user_id = ?')
      .bind(user.user.id)
      .first<{ secret_enc: string; confirmed_at: number | null }>();
    expect(after?.secret_enc).toBe((before as { secret_enc: string }).secret_enc);
    expect(after?.confirmed_at).not.toBeNull();
    expect(secret).toMatch(/^[A-Z2-7]+$/);
  });

  it('refuses bad confirmation bodies', async () => {
    const user = await signup();
    for (const body of [{}, { code: 123456 }, { code: '12345' }, { code: '123456', x: 1 }]) {
      await expectError(
        await call('/v1/me/mfa/totp/confirm', { method: 'POST', token: user.access_token, body }),
        400,
        'invalid_request',
      );
    }
  });
});

describe('signing in with MFA', () => {
  it('answers 401 mfa_required with an mfa_token, then tokens with amr pwd and otp', async () => {
    const user = await signup();
    const { secret } = await enrol(user);
    const token = await mfaToken(user);
    const response = await completeMfa(token, await totpAt(secret, nowSeconds()));
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as Tokens;
    expect(decodeJwt(tokens.access_token).amr).toEqual(['pwd', 'otp']);
    expect((await call('/v1/me', { token: tokens.access_token })).status).toBe(200);
  });

  it('accepts a TOTP code once only', async () => {
    const user = await signup();
    const { secret } = await enrol(user);
    const code = await totpAt(secret, nowSeconds());
    expect((await completeMfa(await mfaToken(user), code)).status).toBe(200);
    await expectError(await completeMfa(await mfaToken(user), code), 401, 'unauthorized');
  });

  it('accepts a backup code once only', async () => {
    const user = await signup();
    const { backupCodes } = await enrol(user);
    expect((await completeMfa(await mfaToken(user), backupCodes[0]!.toUpperCase())).status).toBe(200);
    await expectError(await completeMfa(await mfaToken(user), backupCodes[0]!), 401, 'unauthorized');
    expect((await completeMfa(await mfaToken(user), backupCodes[1]!)).status).toBe(200);
  });

  it('voids the mfa_token after 5 wrong codes, even for the right one', async () => {
    const user = await signup();
    const { secret } = await enrol(user);
    const token = await mfaToken(user);
    for (let i = 0; i < 5; i++) await expectError(await completeMfa(token, '000000'), 401, 'unauthorized');
    await expectError(await completeMfa(token, await totpAt(secret, nowSeconds())), 401, 'unauthorized');
  });

  it('counts wrong codes across mfa_tokens: 10 in a row lock second-factor checks (423)', async () => {
    const user = await signup();
    const { secret } = await enrol(user);
    for (let t = 0; t < 5; t++) {
      const token = await mfaToken(user);
      for (let i = 0; i < 2; i++) await expectError(await completeMfa(token, '000000'), 401, 'unauthorized');
    }
    const response = await completeMfa(await mfaToken(user), await totpAt(secret, nowSeconds()));
    await expectError(response, 423, 'account_locked');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('resets the second-factor count after a success', async () => {
    const user = await signup();
    const { secret, backupCodes } = await enrol(user);
    for (let i = 0; i < 4; i++) await completeMfa(await mfaToken(user), '000000');
    expect((await completeMfa(await mfaToken(user), backupCodes[0]!)).status).toBe(200);
    for (let i = 0; i < 9; i++) await completeMfa(await mfaToken(user), '000000');
    expect((await completeMfa(await mfaToken(user), await totpAt(secret, nowSeconds()))).status).toBe(200);
  });

  it('spends the mfa_token on success', async () => {
    const user = await signup();
    const { secret, backupCodes } = await enrol(user);
    const token = await mfaToken(user);
    expect((await completeMfa(token, await totpAt(secret, nowSeconds()))).status).toBe(200);
    await expectError(await completeMfa(token, backupCodes[0]!), 401, 'unauthorized');
  });

  it('refuses an mfa_token past its 5 minutes', async () => {
    const user = await signup();
    const { backupCodes } = await enrol(user);
    const token = await mfaToken(user);
    await runInDurableObject(env.USER.getByName(user.user.id), (_i, state) => {
      state.storage.sql.exec("UPDATE single_use_tokens SET expires_at = ? WHERE purpose = 'mfa'", Date.now() - 1);
    });
    await expectError(await completeMfa(token, backupCodes[0]!), 401, 'unauthorized');
  });

  it('refuses forged tokens and another user’s code', async () => {
    const alice = await signup();
    const bob = await signup();
    const { secret: aliceSecret } = await enrol(alice);
    await enrol(bob);
    const bobToken = await mfaToken(bob);
    await expectError(await completeMfa(bobToken, await totpAt(aliceSecret, nowSeconds())), 401, 'unauthorized');
    await expectError(await completeMfa(`${alice.user.id}.${'A'.repeat(43)}`, '123456'), 401, 'unauthorized');
    await expectError(await completeMfa('garbage', '123456'), 401, 'unauthorized');
    await expectError(
      await call('/v1/auth/mfa', { method: 'POST', body: { mfa_token: bobToken } }),
      400,
      'invalid_request',
    );
  });

  it('records the MFA events in the audit log', async () => {
    const user = await signup();
    const { secret } = await enrol(user);
    const token = await mfaToken(user);
    await completeMfa(token, '000000');
    await completeMfa(token, await totpAt(secret, nowSeconds()));
    const audit = (await (await call('/v1/me/audit?limit=100', { token: user.access_token })).json()) as {
      events: { type: string }[];
    };
    const types = audit.events.map((e) => e.type);
    for (const type of ['mfa_enrolment_started', 'mfa_enabled', 'mfa_challenged', 'mfa_failed', 'mfa_succeeded'])
      expect(types).toContain(type);
  });
});

describe('MFA secrets stay out of logs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('never writes the TOTP secret, a code, a backup code or an mfa_token to a log line', async () => {
    const lines: string[] = [];
    for (const m of ['log', 'warn', 'error'] as const)
      vi.spyOn(console, m).mockImplementation((l: string) => void lines.push(String(l)));
    const user = await signup();
    const { secret, backupCodes } = await enrol(user);
    const token = await mfaToken(user);
    const code = await totpAt(secret, nowSeconds());
    await completeMfa(token, code);
    const output = lines.join('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const value of [secret, code, token, ...backupCodes]) expect(output).not.toContain(value);
  });
});

describe('turning MFA off and replacing backup codes', () => {
  it('needs the password and a code to turn MFA off', async () => {
    const user = await signup();
    const { secret } = await enrol(user);
    const code = await totpAt(secret, nowSeconds());
    await expectError(
      await call('/v1/me/mfa/totp', {
        method: 'DELETE',
        token: user.access_token,
        body: { password: 'wrong password!', code },
      }),
      403,
      'forbidden',
    );
    await expectError(
      await call('/v1/me/mfa/totp', {
        method: 'DELETE',
        token: user.access_token,
        body: { password: user.password, code: '000000' },
      }),
      403,
      'forbidden',
    );
    await expectError(
      await call('/v1/me/mfa/totp', { method: 'DELETE', token: user.access_token, body: { code } }),
      400,
      'invalid_request',
    );
    const response = await call('/v1/me/mfa/totp', {
      method: 'DELETE',
      token: user.access_token,
      body: { password: user.password, code },
    });
    expect(response.status).toBe(204);
    expect(await (await call('/v1/me', { token: user.access_token })).json()).toMatchObject({ mfa_enabled: false });
    expect((await login(user.email, user.password)).status).toBe(200);
  });

  it('replaces the backup codes: the old ones stop working, the new ones work', async () => {
    const user = await signup();
    const { secret, backupCodes } = await enrol(user);
    const response = await call('/v1/me/mfa/backup-codes', {
      method: 'POST',
      token: user.access_token,
      body: { code: await totpAt(secret, nowSeconds()) },
    });
    expect(response.status).toBe(200);
    const { backup_codes } = (await response.json()) as { backup_codes: string[] };
    expect(backup_codes).toHaveLength(10);
    expect(backup_codes).not.toContain(backupCodes[0]);
    await expectError(await completeMfa(await mfaToken(user), backupCodes[0]!), 401, 'unauthorized');
    expect((await completeMfa(await mfaToken(user), backup_codes[0]!)).status).toBe(200);
  });

  it('refuses to replace backup codes with a wrong code or when MFA is off', async () => {
    const user = await signup();
    await expectError(
      await call('/v1/me/mfa/backup-codes', { method: 'POST', token: user.access_token, body: { code: '123456' } }),
      409,
      'conflict',
    );
    await enrol(user);
    await expectError(
      await call('/v1/me/mfa/backup-codes', { method: 'POST', token: user.access_token, body: { code: '000000' } }),
      403,
      'forbidden',
    );
  });
});
