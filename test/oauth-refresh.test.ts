import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BREAKER_OPEN_MS } from '../core/oauth/breaker';
import type { UserObject } from '../objects/user';
import { REFRESH_LEAD_MS } from '../objects/user/oauth-refresh';
import { auditDetails, call, uniqueEmail } from './helpers';
import { catchMail, outboxDrained } from './mail';
import { MetricsRecorder } from './metrics-helpers';
import { oauthEnv, signInWith } from './oauth-helpers';
import { FakeProvider, mockProviders } from './oauth-provider';

interface Row {
  status: string;
  expires_at: number;
  last_refreshed_at: number;
  access_token_enc: string;
}

describe('provider token refresh (user actor alarm)', () => {
  let acme: FakeProvider;
  let refusing: FakeProvider;
  let down: FakeProvider;
  let e: Env;
  beforeAll(async () => {
    [acme, refusing, down] = await Promise.all([
      FakeProvider.create('https://id.r1.test'),
      FakeProvider.create('https://id.r2.test'),
      FakeProvider.create('https://id.r3.test'),
    ]);
    e = oauthEnv({ acme: acme.config(), refusing: refusing.config(), down: down.config() });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    acme.duringRefresh = null;
  });

  /** A user signed in through `provider`, with a token that has an hour left. */
  async function connectedUser(fake: FakeProvider, provider: string): Promise<string> {
    const tokens = await signInWith(e, fake, provider, {
      sub: `sub-${crypto.randomUUID()}`,
      email: uniqueEmail(provider),
      email_verified: true,
    });
    // The actor reads OAUTH_PROVIDERS from its own env, which the tests' override does not reach.
    await runInDurableObject(env.USER.getByName(tokens.user.id), (instance) => void Reflect.set(instance, 'env', e));
    // The signup's verification mail leaves first, so the alarm is the refresh's.
    await outboxDrained(tokens.user.id);
    // The sign-in's audit entries scheduled the actor's backup, due first: it runs now, leaving the refresh's alarm.
    await runDurableObjectAlarm(env.USER.getByName(tokens.user.id));
    return tokens.user.id;
  }

  /** Time passes: the token has a minute left, so its refresh is due. */
  async function makeDue(userId: string, provider: string): Promise<void> {
    await env.DB.prepare('UPDATE oauth_accounts SET expires_at = ? WHERE user_id = ? AND provider = ?')
      .bind(Date.now() + 60_000, userId, provider)
      .run();
    await runInDurableObject(env.USER.getByName(userId), (_instance, ctx) => {
      ctx.storage.sql.exec('UPDATE oauth_refresh SET due_at = ? WHERE provider = ?', Date.now() - 1, provider);
    });
  }

  const row = (userId: string, provider: string) =>
    env.DB.prepare(
      'SELECT status, expires_at, last_refreshed_at, access_token_enc FROM oauth_accounts WHERE user_id = ? AND provider = ?',
    )
      .bind(userId, provider)
      .first<Row>();
  const refreshCalls = (fake: FakeProvider) => fake.requests.filter((r) => r === 'POST /token').length;
  const audits = (userId: string) => auditDetails(userId, 'oauth_reauth_required');
  const jobsOf = (userId: string) =>
    runInDurableObject(env.USER.getByName(userId), (_instance, ctx) =>
      ctx.storage.sql
        .exec<{ job: string }>('SELECT job FROM scheduled_jobs ORDER BY job')
        .toArray()
        .map((r) => r.job),
    );
  const alarmOf = (userId: string) =>
    runInDurableObject(env.USER.getByName(userId), (_instance, ctx) => ctx.storage.getAlarm());

  it('schedules the alarm for when 5 minutes of the token’s life remain', async () => {
    mockProviders(acme);
    const userId = await connectedUser(acme, 'acme');
    const before = await row(userId, 'acme');
    expect(await alarmOf(userId)).toBe(before!.expires_at - REFRESH_LEAD_MS);
  });

  it('refreshes from the alarm: new sealed token, expires_at and last_refreshed_at', async () => {
    mockProviders(acme);
    const userId = await connectedUser(acme, 'acme');
    await makeDue(userId, 'acme');
    const before = (await row(userId, 'acme'))!;
    const calls = refreshCalls(acme);
    const metrics = new MetricsRecorder();
    expect(await runDurableObjectAlarm(env.USER.getByName(userId))).toBe(true);
    expect(metrics.of('provider_refresh')).toEqual([{ kind: 'provider_refresh', provider: 'acme', result: 'ok' }]);
    const after = (await row(userId, 'acme'))!;
    expect(refreshCalls(acme)).toBe(calls + 1);
    expect(after.status).toBe('ok');
    expect(after.expires_at - Date.now()).toBeGreaterThan(3500_000);
    expect(after.last_refreshed_at).toBeGreaterThanOrEqual(before.last_refreshed_at);
    expect(after.expires_at).toBeGreaterThan(before.expires_at);
    expect(after.access_token_enc).not.toBe(before.access_token_enc);
    expect(await alarmOf(userId)).toBe(after.expires_at - REFRESH_LEAD_MS);
  });

  it('is idempotent: a repeated alarm does not refresh a fresh token again', async () => {
    mockProviders(acme);
    const userId = await connectedUser(acme, 'acme');
    await makeDue(userId, 'acme');
    await runDurableObjectAlarm(env.USER.getByName(userId));
    const calls = refreshCalls(acme);
    const first = await row(userId, 'acme');
    await runDurableObjectAlarm(env.USER.getByName(userId));
    expect(refreshCalls(acme)).toBe(calls);
    expect(await row(userId, 'acme')).toEqual(first);
  });

  it('asks for re-authorisation at once when the provider refuses the refresh token', async () => {
    mockProviders(refusing);
    refusing.refresh = 'invalid_grant';
    const userId = await connectedUser(refusing, 'refusing');
    await makeDue(userId, 'refusing');
    await runDurableObjectAlarm(env.USER.getByName(userId));
    expect((await row(userId, 'refusing'))?.status).toBe('reauth_required');
    expect(await audits(userId)).toEqual([{ provider: 'refusing', reason: 'rejected' }]);
    // No refresh is left to schedule: the alarm is the backup of that audit entry's.
    expect(await jobsOf(userId)).toEqual(['log_export']);
  });

  it('retries, then after repeated failed runs marks reauth_required and opens the provider’s breaker', async () => {
    mockProviders(down);
    down.refresh = 'unavailable';
    const userId = await connectedUser(down, 'down');
    // Signed in before the breaker opens: sign-ins share the breaker, and would be refused after.
    const otherId = await connectedUser(down, 'down');
    const stub = env.USER.getByName(userId);
    const metrics = new MetricsRecorder();
    for (const run of [1, 2]) {
      await makeDue(userId, 'down');
      const calls = refreshCalls(down);
      await runDurableObjectAlarm(stub);
      expect(refreshCalls(down) - calls).toBe(3);
      expect((await row(userId, 'down'))?.status).toBe('ok');
      expect(await alarmOf(userId), `run ${run} reschedules`).not.toBeNull();
    }
    await makeDue(userId, 'down');
    await runDurableObjectAlarm(stub);
    expect((await row(userId, 'down'))?.status).toBe('reauth_required');
    expect(await audits(userId)).toEqual([{ provider: 'down', reason: 'unavailable' }]);
    expect(metrics.of('provider_refresh').map((p) => p.result)).toEqual([
      'failed',
      'failed',
      'failed',
      'reauth_required',
    ]);
    expect(metrics.of('breaker_open')).toEqual([{ kind: 'breaker_open', provider: 'down' }]);

    // Another user of the same provider: the open breaker spares the provider, and the
    // connection is not blamed for it; the refresh waits until the breaker may close.
    await makeDue(otherId, 'down');
    const calls = refreshCalls(down);
    const startedAt = Date.now();
    await runDurableObjectAlarm(env.USER.getByName(otherId));
    expect(refreshCalls(down)).toBe(calls);
    expect((await row(otherId, 'down'))?.status).toBe('ok');
    expect(await alarmOf(otherId)).toBeGreaterThanOrEqual(startedAt + BREAKER_OPEN_MS - 60_000);
    expect(await audits(otherId)).toEqual([]);
  });

  /** While the provider answers a refresh, `change` runs inside the user's actor (as an RPC would). */
  async function duringRefresh(userId: string, change: (instance: UserObject) => Promise<void>): Promise<void> {
    const instance = await runInDurableObject(env.USER.getByName(userId), (i: UserObject) => i);
    acme.duringRefresh = () => change(instance);
  }
  const tracked = (userId: string) =>
    runInDurableObject(env.USER.getByName(userId), (_instance, ctx) =>
      ctx.storage.sql.exec<{ due_at: number }>("SELECT due_at FROM oauth_refresh WHERE provider = 'acme'").toArray(),
    );

  it('does not overwrite a connection relinked while the refresh was out', async () => {
    mockProviders(acme);
    const userId = await connectedUser(acme, 'acme');
    await makeDue(userId, 'acme');
    const relinkedUntil = Date.now() + 7200_000;
    await duringRefresh(userId, async (instance) => {
      await env.DB.prepare(
        "UPDATE oauth_accounts SET access_token_enc = 'v1.relinked', refresh_token_enc = 'v1.relinked-r', expires_at = ?, status = 'ok' WHERE user_id = ?",
      )
        .bind(relinkedUntil, userId)
        .run();
      await instance.trackConnection('acme', relinkedUntil);
    });
    await runDurableObjectAlarm(env.USER.getByName(userId));
    const after = (await row(userId, 'acme'))!;
    expect(after).toMatchObject({ access_token_enc: 'v1.relinked', expires_at: relinkedUntil, status: 'ok' });
    expect(await tracked(userId)).toEqual([{ due_at: relinkedUntil - REFRESH_LEAD_MS }]);
  });

  it('does not write or re-track a connection unlinked while the refresh was out', async () => {
    mockProviders(acme);
    const userId = await connectedUser(acme, 'acme');
    await makeDue(userId, 'acme');
    await duringRefresh(userId, async (instance) => {
      await env.DB.prepare("DELETE FROM oauth_accounts WHERE user_id = ? AND provider = 'acme'").bind(userId).run();
      await instance.forgetConnection('acme');
    });
    await runDurableObjectAlarm(env.USER.getByName(userId));
    expect(await row(userId, 'acme')).toBeNull();
    expect(await tracked(userId)).toEqual([]);
    expect(await alarmOf(userId)).toBeNull();
  });

  it('shares the one alarm with the API-key usage flush', async () => {
    mockProviders(acme);
    catchMail();
    const tokens = await signInWith(e, acme, 'acme', { sub: `sub-${crypto.randomUUID()}`, email: uniqueEmail('k') });
    const stub = env.USER.getByName(tokens.user.id);
    await outboxDrained(tokens.user.id);
    const refreshAt = await alarmOf(tokens.user.id);
    const created = await call('/v1/me/api-keys', {
      method: 'POST',
      token: tokens.access_token,
      body: { name: 'k', scopes: ['read'] },
    });
    const { id, key } = (await created.json()) as { id: string; key: string };
    expect((await call('/v1/me', { token: key })).status).toBe(200);
    // The API key's security notice leaves first, so the forced alarm is the flush's.
    await outboxDrained(tokens.user.id);
    const flushAt = (await alarmOf(tokens.user.id))!;
    expect(flushAt).toBeLessThan(refreshAt!);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const used = await env.DB.prepare('SELECT use_count FROM api_keys WHERE id = ?')
      .bind(id)
      .first<{ use_count: number }>();
    expect(used?.use_count).toBe(1);
    expect(await alarmOf(tokens.user.id)).toBe(refreshAt);
  });
});
