import {
  createExecutionContext,
  createScheduledController,
  runInDurableObject,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../core/config';
import { seal, unseal } from '../core/crypto-box';
import { base64url, randomBytes } from '../core/encoding';
import { tokenContext } from '../core/oauth/sealing';
import type { SweepOut } from '../core/schemas/admin';
import { totpContext } from '../core/totp';
import type { MaintenanceObject } from '../objects/maintenance';
import { SWEEP_KEY, type SweepState } from '../objects/maintenance/reseal';
import worker from '../worker/index';
import { drainAlarms, maintenance } from './backup-helpers';
import { type CallOptions, call, expectError, freshIp, login, signup } from './helpers';
import { enrolTotp } from './mfa-helpers';
import { nowSeconds, totpAt } from './totp-reference';

const ring = parseConfig({ ...env }).dataKeys;
const [current, previous] = ring as [(typeof ring)[0], (typeof ring)[0]];
const retired = { kid: 'retired', key: base64url(randomBytes(32)) };

const admin = (path: string, options: CallOptions = {}) => call(path, { ...options, token: env.ADMIN_TOKEN });

async function status(): Promise<SweepOut> {
  const response = await admin('/v1/admin/data-keys/sweep');
  expect(response.status).toBe(200);
  return (await response.json()) as SweepOut;
}

const secretOf = async (userId: string) =>
  (
    await env.DB.prepare('SELECT secret_enc FROM mfa_totp WHERE user_id = ?')
      .bind(userId)
      .first<{ secret_enc: string }>()
  )?.secret_enc ?? '';

/** A user with TOTP on whose secret an older key sealed. */
async function userWithStaleSecret(key = previous) {
  const user = await signup();
  const { secret } = await enrolTotp(user);
  const stale = await seal([key], secret, totpContext(user.user.id));
  await env.DB.prepare('UPDATE mfa_totp SET secret_enc = ? WHERE user_id = ?').bind(stale, user.user.id).run();
  return { user, secret, stale };
}

/** A connection row whose tokens an older key sealed. */
async function staleConnection(userId: string, provider: string) {
  const access = await seal([previous], `access-${provider}`, tokenContext(userId, provider, 'access'));
  const refresh = await seal([previous], `refresh-${provider}`, tokenContext(userId, provider, 'refresh'));
  await env.DB.prepare(
    `INSERT INTO oauth_accounts (id, user_id, provider, provider_user_id, access_token_enc, refresh_token_enc, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(crypto.randomUUID(), userId, provider, crypto.randomUUID(), access, refresh, Date.now())
    .run();
}

const connectionOf = (userId: string, provider: string) =>
  env.DB.prepare('SELECT access_token_enc, refresh_token_enc FROM oauth_accounts WHERE user_id = ? AND provider = ?')
    .bind(userId, provider)
    .first<{ access_token_enc: string; refresh_token_enc: string }>();

describe('data key rotation: re-seal on read', () => {
  it('accepts a code under a secret an older key sealed, and seals that secret again under the current key', async () => {
    const { user, secret, stale } = await userWithStaleSecret();
    const challenge = (await (await login(user.email, user.password, freshIp())).json()) as { mfa_token: string };
    const code = await totpAt(secret, nowSeconds());
    const answer = await call('/v1/auth/mfa', { method: 'POST', body: { mfa_token: challenge.mfa_token, code } });
    expect(answer.status).toBe(200);
    const now = await secretOf(user.user.id);
    expect(now).not.toBe(stale);
    expect(now.startsWith(`v2.${current.kid}.`)).toBe(true);
    expect((await unseal([current], now, totpContext(user.user.id)))?.plaintext).toBe(secret);
  });
});

describe('data key rotation: the sweep', () => {
  it('needs the admin token', async () => {
    for (const method of ['GET', 'POST']) {
      await expectError(await call('/v1/admin/data-keys/sweep', { method }), 401, 'unauthorized');
    }
  });

  it('counts the values not under the current key, re-seals them all, and then reports zero', async () => {
    const { user, secret } = await userWithStaleSecret();
    await staleConnection(user.user.id, 'acme');
    const before = await status();
    expect(before.sealing_kid).toBe(current.kid);
    expect(before.remaining).toMatchObject({ totp_secret: 1, oauth_access_token: 1, oauth_refresh_token: 1 });
    expect(before.remaining.total).toBe(3);

    const started = await admin('/v1/admin/data-keys/sweep', { method: 'POST' });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    expect((await status()).sweep).toMatchObject({ id, status: 'running', trigger: 'manual', kid: current.kid });
    await drainAlarms();

    const after = await status();
    expect(after.remaining).toEqual({ total: 0, totp_secret: 0, oauth_access_token: 0, oauth_refresh_token: 0 });
    expect(after.sweep).toMatchObject({ id, status: 'complete', scanned: 3, resealed: 3, unreadable: 0 });
    expect(after.sweep?.finished_at).not.toBeNull();
    expect((await unseal([current], await secretOf(user.user.id), totpContext(user.user.id)))?.plaintext).toBe(secret);
    const row = await connectionOf(user.user.id, 'acme');
    const opened = await unseal([current], row?.refresh_token_enc ?? '', tokenContext(user.user.id, 'acme', 'refresh'));
    expect(opened?.plaintext).toBe('refresh-acme');
  });

  it('counts a value no key of the ring opens as unreadable and leaves it as it is', async () => {
    const { user, stale } = await userWithStaleSecret(retired);
    expect((await status()).remaining.totp_secret).toBe(1);
    await admin('/v1/admin/data-keys/sweep', { method: 'POST' });
    await drainAlarms();
    const after = await status();
    expect(after.sweep).toMatchObject({ status: 'complete', scanned: 1, resealed: 0, unreadable: 1 });
    expect(after.remaining.totp_secret).toBe(1);
    expect(await secretOf(user.user.id)).toBe(stale);
    await env.DB.prepare('DELETE FROM mfa_totp WHERE user_id = ?').bind(user.user.id).run();
  });

  it('resumes from the position it saved instead of starting over', async () => {
    const { user, stale } = await userWithStaleSecret();
    await staleConnection(user.user.id, 'resume');
    await maintenance().startSweep({ trigger: 'manual' });
    // As if an alarm had finished the TOTP secrets and the isolate had died after saving that.
    await runInDurableObject(maintenance(), async (_instance: MaintenanceObject, state) => {
      const saved = (await state.storage.get<SweepState>(SWEEP_KEY)) as SweepState;
      await state.storage.put(SWEEP_KEY, { ...saved, field: 1, after: null });
    });
    await drainAlarms();
    expect(await secretOf(user.user.id)).toBe(stale);
    expect((await connectionOf(user.user.id, 'resume'))?.access_token_enc.startsWith(`v2.${current.kid}.`)).toBe(true);
    expect((await status()).remaining).toMatchObject({ total: 1, totp_secret: 1 });
    await admin('/v1/admin/data-keys/sweep', { method: 'POST' });
    await drainAlarms();
    expect((await status()).remaining.total).toBe(0);
  });

  it('answers the sweep under way instead of starting a second one', async () => {
    const first = await maintenance().startSweep({ trigger: 'manual' });
    const second = await maintenance().startSweep({ trigger: 'cron', scheduledTime: Date.now() });
    expect(second).toEqual({ id: first.id, started: false });
    await drainAlarms();
  });

  it('starts one sweep for a cron tick delivered twice', async () => {
    const tick = { trigger: 'cron', scheduledTime: Date.parse('2026-10-21T03:17:00Z') } as const;
    const first = await maintenance().startSweep(tick);
    await drainAlarms();
    expect(first.started).toBe(true);
    expect(await maintenance().startSweep(tick)).toEqual({ id: first.id, started: false });
    expect(await drainAlarms()).toBe(0);
  });

  it('waits for a backup run under way, then finishes after it', async () => {
    await userWithStaleSecret();
    const backup = await maintenance().startBackup({ trigger: 'manual' });
    expect(backup.ok).toBe(true);
    const sweep = await maintenance().startSweep({ trigger: 'manual' });
    await drainAlarms();
    const after = await status();
    expect(after.sweep).toMatchObject({ id: sweep.id, status: 'complete' });
    expect(after.remaining.total).toBe(0);
    const run = await admin(`/v1/admin/backups/${backup.ok ? backup.value.id : ''}`);
    expect(await run.json()).toMatchObject({ status: 'complete' });
  });

  it('is started by the daily cron as well', async () => {
    const { user } = await userWithStaleSecret();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '17 3 * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect((await status()).sweep).toMatchObject({ trigger: 'cron', status: 'running' });
    await drainAlarms();
    expect((await status()).sweep).toMatchObject({ trigger: 'cron', status: 'complete' });
    expect((await secretOf(user.user.id)).startsWith(`v2.${current.kid}.`)).toBe(true);
  });
});
