import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectError, PASSWORD, type Tokens } from './helpers';
import { outboxDrained } from './mail';
import { connectedUser, oauthEnv, roundTrip, send } from './oauth-helpers';
import { FakeProvider, mockProviders } from './oauth-provider';

describe('provider tokens are revoked at the provider when they are dropped', () => {
  let acme: FakeProvider;
  let other: FakeProvider;
  let silent: FakeProvider;
  let basic: FakeProvider;
  let e: Env;
  beforeAll(async () => {
    [acme, other, silent, basic] = await Promise.all([
      FakeProvider.create('https://id.rv1.test'),
      FakeProvider.create('https://id.rv2.test'),
      FakeProvider.create('https://id.rv3.test'),
      FakeProvider.create('https://id.rv4.test'),
    ]);
    silent.revocable = false;
    basic.auth = 'client_secret_basic';
    e = oauthEnv({
      acme: acme.config(),
      other: other.config(),
      silent: silent.config(),
      basic: basic.config({ token_endpoint_auth_method: 'client_secret_basic' }),
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    delete acme.outage['/revoke'];
  });

  const connected = (fake: FakeProvider, provider: string) => connectedUser(e, fake, provider);

  /** Links a second provider to a signed-in user, as the link flow would have. */
  async function linkAlso(user: Tokens, fake: FakeProvider, provider: string) {
    const callback = await roundTrip(
      e,
      fake,
      provider,
      { sub: `sub-${crypto.randomUUID()}` },
      {
        intent: 'link',
        token: user.access_token,
      },
    );
    expect(callback.headers.get('location')).toContain(`linked=${provider}`);
  }

  const connection = (userId: string, provider: string) =>
    env.DB.prepare(
      'SELECT status, access_token_enc, refresh_token_enc FROM oauth_accounts WHERE user_id = ? AND provider = ?',
    )
      .bind(userId, provider)
      .first<{ status: string; access_token_enc: string | null; refresh_token_enc: string | null }>();

  it('unlinking revokes the refresh token, then the access token, with the client’s credentials', async () => {
    mockProviders(acme, other);
    const user = await connected(acme, 'acme');
    await linkAlso(user, other, 'other');
    const access = acme.accessTokens.at(-1);
    const refresh = acme.issued.at(-1);
    const response = await send(e, '/v1/me/connections/acme', { method: 'DELETE', token: user.access_token });
    expect(response.status).toBe(204);
    expect(acme.revoked.slice(-2)).toEqual([
      { token: refresh, hint: 'refresh_token' },
      { token: access, hint: 'access_token' },
    ]);
    expect(await connection(user.user.id, 'acme')).toBeNull();
  });

  it('authenticates at the revocation endpoint as the provider is configured (client_secret_basic)', async () => {
    mockProviders(acme, basic);
    const user = await connected(acme, 'acme');
    await linkAlso(user, basic, 'basic');
    const refresh = basic.issued.at(-1);
    expect((await send(e, '/v1/me/connections/basic', { method: 'DELETE', token: user.access_token })).status).toBe(
      204,
    );
    expect(basic.revoked.map((r) => r.token)).toContain(refresh);
  });

  it('unlinks even when revocation fails: the provider being down never blocks the user', async () => {
    mockProviders(acme, other);
    const user = await connected(other, 'other');
    await linkAlso(user, acme, 'acme');
    acme.outage['/revoke'] = Number.POSITIVE_INFINITY;
    const before = acme.revoked.length;
    const response = await send(e, '/v1/me/connections/acme', { method: 'DELETE', token: user.access_token });
    expect(response.status).toBe(204);
    expect(await connection(user.user.id, 'acme')).toBeNull();
    expect(acme.revoked.length).toBe(before);
    expect(acme.requests.filter((r) => r === 'POST /revoke').length).toBeGreaterThan(0);
  });

  it('does nothing at a provider that offers no revocation', async () => {
    mockProviders(silent, acme);
    const user = await connected(acme, 'acme');
    await linkAlso(user, silent, 'silent');
    const response = await send(e, '/v1/me/connections/silent', { method: 'DELETE', token: user.access_token });
    expect(response.status).toBe(204);
    expect(silent.requests.filter((r) => r.includes('/revoke'))).toEqual([]);
  });

  it('erasing the account revokes the tokens of every connection', async () => {
    mockProviders(acme, other);
    const user = await connected(acme, 'acme');
    await linkAlso(user, other, 'other');
    const tokens = [acme.issued.at(-1), acme.accessTokens.at(-1), other.issued.at(-1), other.accessTokens.at(-1)];
    const response = await send(e, '/v1/me', { method: 'DELETE', token: user.access_token, body: {} });
    expect(response.status).toBe(204);
    const revoked = [...acme.revoked, ...other.revoked].map((r) => r.token);
    for (const token of tokens) expect(revoked).toContain(token);
    expect(await connection(user.user.id, 'acme')).toBeNull();
  });

  it('a password change deletes and revokes provider tokens, keeps the links, and says how many', async () => {
    mockProviders(acme);
    const user = await connected(acme, 'acme');
    const refresh = acme.issued.at(-1);
    const response = await send(e, '/v1/me/password', {
      method: 'POST',
      token: user.access_token,
      body: { new_password: `${PASSWORD} changed` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ connections_revoked: 1 });
    expect(acme.revoked.map((r) => r.token)).toContain(refresh);
    expect(await connection(user.user.id, 'acme')).toEqual({
      status: 'reauth_required',
      access_token_enc: null,
      refresh_token_enc: null,
    });
    const token = await send(e, '/v1/me/connections/acme/token', { token: user.access_token });
    await expectError(token, 409, 'connection_reauth_required');
    // Its refresh is no longer tracked: the alarm, when due, forgets it without calling the provider.
    await runInDurableObject(env.USER.getByName(user.user.id), (_i, ctx) => {
      ctx.storage.sql.exec('UPDATE oauth_refresh SET due_at = ?', Date.now() - 1);
    });
    const grants = acme.refreshGrants();
    await outboxDrained(user.user.id); // the password_changed notice goes first
    // The password change's audit entries scheduled the actor's backup, due first: it runs, then the refresh job.
    await runDurableObjectAlarm(env.USER.getByName(user.user.id));
    await runDurableObjectAlarm(env.USER.getByName(user.user.id));
    expect(acme.refreshGrants()).toBe(grants);
    const tracked = await runInDurableObject(env.USER.getByName(user.user.id), (_i, ctx) =>
      ctx.storage.sql.exec('SELECT count(*) AS n FROM oauth_refresh').one(),
    );
    expect(tracked.n).toBe(0);
  });

  it('a password change keeps provider tokens with keep_connections', async () => {
    mockProviders(acme);
    const user = await connected(acme, 'acme');
    const before = acme.revoked.length;
    const response = await send(e, '/v1/me/password', {
      method: 'POST',
      token: user.access_token,
      body: { new_password: `${PASSWORD} changed`, keep_connections: true },
    });
    expect(await response.json()).toMatchObject({ connections_revoked: 0 });
    expect(acme.revoked.length).toBe(before);
    expect((await connection(user.user.id, 'acme'))?.status).toBe('ok');
  });

  it('refuses a keep_connections that is not a boolean', async () => {
    mockProviders(acme);
    const user = await connected(acme, 'acme');
    const response = await send(e, '/v1/me/password', {
      method: 'POST',
      token: user.access_token,
      body: { new_password: `${PASSWORD} changed`, keep_connections: 'yes' },
    });
    await expectError(response, 400, 'invalid_request');
    expect((await connection(user.user.id, 'acme'))?.status).toBe('ok');
  });
});
