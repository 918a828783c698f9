import { listDurableObjectIds, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { auditDetails, call, expectError, freshIp, signup, type Tokens } from './helpers';

const refresh = (refresh_token: string, ip?: string) =>
  call('/v1/auth/refresh', { method: 'POST', body: { refresh_token }, ip });

/** Moves every spent token's use back in time, as if `ms` had passed. */
async function age(userId: string, ms: number) {
  await runInDurableObject(env.USER.getByName(userId), (_instance, state) => {
    state.storage.sql.exec('UPDATE refresh_tokens SET used_at = used_at - ? WHERE used_at IS NOT NULL', ms);
  });
}

describe('POST /v1/auth/refresh', () => {
  it('rotates: answers a new pair and spends the old refresh token', async () => {
    const tokens = await signup();
    const response = await refresh(tokens.refresh_token);
    expect(response.status).toBe(200);
    const next = (await response.json()) as Tokens;
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(next.user.id).toBe(tokens.user.id);
    expect((await call('/v1/me', { token: next.access_token })).status).toBe(200);
    expect((await refresh(next.refresh_token)).status).toBe(200);
  });

  it('gives a retry within 10 s the same successor', async () => {
    const tokens = await signup();
    const first = (await (await refresh(tokens.refresh_token)).json()) as Tokens;
    const retry = await refresh(tokens.refresh_token);
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as Tokens).refresh_token).toBe(first.refresh_token);
  });

  it('gives two concurrent refreshes with one token the same successor', async () => {
    const tokens = await signup();
    const [a, b] = await Promise.all([refresh(tokens.refresh_token), refresh(tokens.refresh_token)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [ta, tb] = (await Promise.all([a.json(), b.json()])) as Tokens[];
    expect(ta!.refresh_token).toBe(tb!.refresh_token);
    expect((await refresh(ta!.refresh_token)).status).toBe(200);
  });

  it('treats reuse after the grace period as theft: 401 and the whole session revoked', async () => {
    const tokens = await signup();
    const next = (await (await refresh(tokens.refresh_token)).json()) as Tokens;
    await age(tokens.user.id, 11_000);
    await expectError(await refresh(tokens.refresh_token), 401, 'unauthorized');
    await expectError(await call('/v1/me', { token: next.access_token }), 401, 'unauthorized');
    await expectError(await refresh(next.refresh_token), 401, 'unauthorized');
    expect(await auditDetails(tokens.user.id, 'refresh_reuse_detected')).toHaveLength(1);
  });

  it('leaves the user’s other sessions alone when one family is revoked for reuse', async () => {
    const tokens = await signup();
    const other = (await (
      await call('/v1/auth/login', { method: 'POST', body: { email: tokens.email, password: tokens.password } })
    ).json()) as Tokens;
    await refresh(tokens.refresh_token);
    await age(tokens.user.id, 11_000);
    await refresh(tokens.refresh_token);
    expect((await call('/v1/me', { token: other.access_token })).status).toBe(200);
  });

  it('refuses an expired session', async () => {
    const tokens = await signup();
    await runInDurableObject(env.USER.getByName(tokens.user.id), (_i, state) => {
      state.storage.sql.exec('UPDATE sessions SET expires_at = ?', Date.now() - 1);
    });
    await expectError(await refresh(tokens.refresh_token), 401, 'unauthorized');
  });

  it('slides the idle expiry but never past the absolute cap', async () => {
    const tokens = await signup();
    const cap = Date.now() + 60_000;
    await runInDurableObject(env.USER.getByName(tokens.user.id), (_i, state) => {
      state.storage.sql.exec('UPDATE sessions SET absolute_expires_at = ?', cap);
    });
    expect((await refresh(tokens.refresh_token)).status).toBe(200);
    const expires = await runInDurableObject(env.USER.getByName(tokens.user.id), (_i, state) =>
      state.storage.sql.exec<{ expires_at: number }>('SELECT expires_at FROM sessions').one(),
    );
    expect(expires.expires_at).toBe(cap);
  });

  it('refuses forged, malformed and other users’ tokens without touching anyone', async () => {
    const victim = await signup();
    const [, secret] = victim.refresh_token.split('.');
    const attacker = await signup();
    await expectError(await refresh(`${attacker.user.id}.${secret}`), 401, 'unauthorized');
    await expectError(await refresh(`${victim.user.id}.${'A'.repeat(43)}`), 401, 'unauthorized');
    await expectError(await refresh('no-dot-here'), 401, 'unauthorized');
    await expectError(await refresh(''), 400, 'invalid_request');
    expect((await refresh(victim.refresh_token)).status).toBe(200);
  });

  it('brings no actor into existence for a made-up user prefix', async () => {
    const before = (await listDurableObjectIds(env.USER)).length;
    const madeUp = `${crypto.randomUUID().replace(/-/g, '')}.${'A'.repeat(43)}`;
    await expectError(await refresh(madeUp), 401, 'unauthorized');
    await expectError(
      await call('/v1/auth/mfa', { method: 'POST', body: { mfa_token: madeUp, code: '123456' } }),
      401,
      'unauthorized',
    );
    expect((await listDurableObjectIds(env.USER)).length).toBe(before);
  });

  it('refuses bad bodies with invalid_request', async () => {
    await expectError(await call('/v1/auth/refresh', { method: 'POST', body: {} }), 400, 'invalid_request');
    await expectError(
      await call('/v1/auth/refresh', { method: 'POST', body: { refresh_token: 5 } }),
      400,
      'invalid_request',
    );
    await expectError(
      await call('/v1/auth/refresh', { method: 'POST', body: { refresh_token: 'a', more: 1 } }),
      400,
      'invalid_request',
    );
    await expectError(await call('/v1/auth/refresh', { method: 'POST', body: 'nope' }), 400, 'invalid_request');
  });

  it('limits refreshes per address to 60 a minute', async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await refresh('x.y', ip)).status);
    expect(statuses.slice(0, 60).every((s) => s === 401)).toBe(true);
    expect(statuses[60]).toBe(429);
  });
});
