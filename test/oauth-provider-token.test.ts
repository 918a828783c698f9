import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../core/config';
import { seal, unseal } from '../core/crypto-box';
import { tokenContext } from '../core/oauth/sealing';
import { expectError, type Tokens } from './helpers';
import { actorSees, connectedUser, oauthEnv, send } from './oauth-helpers';
import { FakeProvider, mockProviders } from './oauth-provider';
import { ageSignIn } from './sign-in-age';

const ring = parseConfig({ ...env }).dataKeys;
const [current, previous] = ring as [(typeof ring)[0], (typeof ring)[0]];

interface TokenOut {
  provider: string;
  access_token: string;
  token_type: string;
  expires_at: string | null;
  scopes: string[];
}

describe('GET /v1/me/connections/{provider}/token', () => {
  let acme: FakeProvider;
  let strict: FakeProvider;
  let keeper: FakeProvider;
  let down: FakeProvider;
  let e: Env;
  beforeAll(async () => {
    [acme, strict, keeper, down] = await Promise.all([
      FakeProvider.create('https://id.t1.test'),
      FakeProvider.create('https://id.t2.test'),
      FakeProvider.create('https://id.t3.test'),
      FakeProvider.create('https://id.t4.test'),
    ]);
    strict.rotation = 'strict';
    keeper.rotation = 'none';
    e = oauthEnv({ acme: acme.config(), strict: strict.config(), keeper: keeper.config(), down: down.config() });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    for (const fake of [acme, strict, keeper, down]) {
      fake.duringRefresh = null;
      fake.refresh = 'ok';
      fake.grantedScope = null;
    }
  });

  const connected = (fake: FakeProvider, provider: string) => connectedUser(e, fake, provider);

  const tokenOf = (token: string, provider: string, query = '') =>
    send(e, `/v1/me/connections/${provider}/token${query}`, { token });

  /** The stored token has `seconds` of life left. */
  const expiresIn = (userId: string, provider: string, seconds: number) =>
    env.DB.prepare('UPDATE oauth_accounts SET expires_at = ?, last_refreshed_at = ? WHERE user_id = ? AND provider = ?')
      .bind(Date.now() + seconds * 1000, Date.now() - 3_600_000, userId, provider)
      .run();

  const row = (userId: string, provider: string) =>
    env.DB.prepare(
      'SELECT status, expires_at, scope, access_token_enc, refresh_token_enc FROM oauth_accounts WHERE user_id = ? AND provider = ?',
    )
      .bind(userId, provider)
      .first<{
        status: string;
        expires_at: number;
        scope: string | null;
        access_token_enc: string;
        refresh_token_enc: string;
      }>();

  /** Makes the alarm's refresh of `provider` due now. */
  const dueNow = (userId: string, provider: string) =>
    runInDurableObject(env.USER.getByName(userId), (_instance, ctx) => {
      ctx.storage.sql.exec('UPDATE oauth_refresh SET due_at = ? WHERE provider = ?', Date.now() - 1, provider);
    });

  /** The `oauth_token_read` entries of the user's audit trail, newest first. */
  async function tokenReads(user: Tokens): Promise<Record<string, unknown>[]> {
    const response = await send(e, '/v1/me/audit?limit=100', { token: user.access_token });
    const { events } = (await response.json()) as { events: { type: string; details: Record<string, unknown> }[] };
    return events.filter((event) => event.type === 'oauth_token_read').map((event) => event.details);
  }

  async function ok(response: Response): Promise<TokenOut> {
    if (response.status !== 200) throw new Error(`expected 200, got ${response.status} ${await response.text()}`);
    return (await response.json()) as TokenOut;
  }

  async function apiKey(user: Tokens, scopes: string[]): Promise<string> {
    const response = await send(e, '/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: `key ${scopes.join(' ')}`, scopes },
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { key: string }).key;
  }

  it('answers the stored token while it lives long enough, audited and not stored by caches', async () => {
    mockProviders(acme);
    const user = await connected(acme, 'acme');
    const grants = acme.refreshGrants();
    const response = await tokenOf(user.access_token, 'acme');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await ok(response);
    expect(body).toMatchObject({ provider: 'acme', access_token: acme.accessTokens.at(-1), token_type: 'Bearer' });
    expect(body.scopes).toEqual(['openid', 'email', 'profile']);
    expect(Date.parse(body.expires_at ?? '') - Date.now()).toBeGreaterThan(3500_000);
    expect(acme.refreshGrants()).toBe(grants);
    const reads = await tokenReads(user);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ provider: 'acme', via: 'bearer' });
    expect(JSON.stringify(reads)).not.toContain(body.access_token);
  });

  it('refreshes first when the token would expire within min_ttl (default 60 s)', async () => {
    mockProviders(acme);
    const user = await connected(acme, 'acme');
    await expiresIn(user.user.id, 'acme', 30);
    const before = acme.refreshGrants();
    const body = await ok(await tokenOf(user.access_token, 'acme'));
    expect(acme.refreshGrants()).toBe(before + 1);
    expect(body.access_token).toBe(acme.accessTokens.at(-1));
    expect(Date.parse(body.expires_at ?? '') - Date.now()).toBeGreaterThan(3500_000);
    await expiresIn(user.user.id, 'acme', 600);
    await ok(await tokenOf(user.access_token, 'acme', '?min_ttl=300'));
    expect(acme.refreshGrants()).toBe(before + 1);
    await ok(await tokenOf(user.access_token, 'acme', '?min_ttl=900'));
    expect(acme.refreshGrants()).toBe(before + 2);
  });

  it('does not refresh again a token refreshed in the last minute, whatever min_ttl asks', async () => {
    mockProviders(acme);
    acme.expiresIn = 120;
    try {
      const user = await connected(acme, 'acme');
      await expiresIn(user.user.id, 'acme', 30);
      const before = acme.refreshGrants();
      await ok(await tokenOf(user.access_token, 'acme', '?min_ttl=3600'));
      const again = await ok(await tokenOf(user.access_token, 'acme', '?min_ttl=3600'));
      expect(acme.refreshGrants()).toBe(before + 1);
      expect(again.access_token).toBe(acme.accessTokens.at(-1));
    } finally {
      acme.expiresIn = 3600;
    }
  });

  it('shares one refresh between concurrent requests: a rotating refresh token is used once', async () => {
    mockProviders(strict);
    const user = await connected(strict, 'strict');
    await expiresIn(user.user.id, 'strict', 10);
    const before = strict.refreshGrants();
    strict.duringRefresh = () => new Promise((resolve) => setTimeout(resolve, 300));
    const answers = await Promise.all([1, 2, 3].map(() => tokenOf(user.access_token, 'strict')));
    const bodies = await Promise.all(answers.map(ok));
    expect(strict.refreshGrants()).toBe(before + 1);
    expect(new Set(bodies.map((b) => b.access_token))).toEqual(new Set([strict.accessTokens.at(-1)]));
    expect((await row(user.user.id, 'strict'))?.status).toBe('ok');
  });

  it('shares the alarm’s refresh when a request comes while it is out, and the alarm’s with a request’s', async () => {
    mockProviders(strict);
    const user = await connected(strict, 'strict');
    const actor = env.USER.getByName(user.user.id);
    for (const first of ['alarm', 'request'] as const) {
      await expiresIn(user.user.id, 'strict', 10);
      await dueNow(user.user.id, 'strict');
      const before = strict.refreshGrants();
      strict.duringRefresh = () => new Promise((resolve) => setTimeout(resolve, 300));
      const later = () => new Promise((resolve) => setTimeout(resolve, 50));
      const [alarm, answer] = await Promise.all([
        first === 'alarm' ? runDurableObjectAlarm(actor) : later().then(() => runDurableObjectAlarm(actor)),
        first === 'request'
          ? tokenOf(user.access_token, 'strict')
          : later().then(() => tokenOf(user.access_token, 'strict')),
      ]);
      expect(alarm).toBe(true);
      expect((await ok(answer)).access_token).toBe(strict.accessTokens.at(-1));
      expect(strict.refreshGrants()).toBe(before + 1);
      strict.duringRefresh = null;
    }
    // The rotated refresh token was kept: the next refresh (which spends it) still works.
    await expiresIn(user.user.id, 'strict', 10);
    await ok(await tokenOf(user.access_token, 'strict'));
    expect((await row(user.user.id, 'strict'))?.status).toBe('ok');
  });

  it('keeps a refresh token the provider does not rotate, sealed again under the current key, and the scope', async () => {
    mockProviders(keeper);
    keeper.grantedScope = 'read:things write:things';
    const user = await connected(keeper, 'keeper');
    keeper.grantedScope = null;
    const refreshToken = keeper.issued.at(-1) ?? '';
    // As if sealed before the last key rotation.
    const context = tokenContext(user.user.id, 'keeper', 'refresh');
    await env.DB.prepare('UPDATE oauth_accounts SET refresh_token_enc = ? WHERE user_id = ? AND provider = ?')
      .bind(await seal([previous], refreshToken, context), user.user.id, 'keeper')
      .run();
    for (let i = 0; i < 2; i++) {
      await expiresIn(user.user.id, 'keeper', 10);
      const body = await ok(await tokenOf(user.access_token, 'keeper'));
      expect(body.access_token).toBe(keeper.accessTokens.at(-1));
      expect(body.scopes).toEqual(['read:things', 'write:things']);
    }
    const stored = await row(user.user.id, 'keeper');
    expect(stored?.refresh_token_enc.startsWith(`v2.${current.kid}.`)).toBe(true);
    expect((await unseal([current], stored?.refresh_token_enc ?? '', context))?.plaintext).toBe(refreshToken);
    expect(keeper.tokenRequests.filter((r) => r.form.get('refresh_token') === refreshToken)).toHaveLength(2);
  });

  it('answers an access token an older data key sealed, and seals it again under the current key', async () => {
    mockProviders(acme);
    const user = await connected(acme, 'acme');
    const access = acme.accessTokens.at(-1) ?? '';
    const context = tokenContext(user.user.id, 'acme', 'access');
    await env.DB.prepare('UPDATE oauth_accounts SET access_token_enc = ? WHERE user_id = ? AND provider = ?')
      .bind(await seal([previous], access, context), user.user.id, 'acme')
      .run();
    expect((await ok(await tokenOf(user.access_token, 'acme'))).access_token).toBe(access);
    const stored = (await row(user.user.id, 'acme'))?.access_token_enc ?? '';
    expect(stored.startsWith(`v2.${current.kid}.`)).toBe(true);
    expect((await unseal([current], stored, context))?.plaintext).toBe(access);
  });

  it('answers 409 connection_reauth_required with the link URL when the provider refuses the refresh', async () => {
    mockProviders(acme);
    const user = await connected(acme, 'acme');
    await expiresIn(user.user.id, 'acme', 10);
    acme.refresh = 'invalid_grant';
    const body = await expectError(await tokenOf(user.access_token, 'acme'), 409, 'connection_reauth_required');
    const link = new URL((body as unknown as { link_url: string }).link_url);
    expect(link.pathname).toBe('/v1/oauth/acme/start');
    expect(link.searchParams.get('intent')).toBe('link');
    expect(body).toMatchObject({ provider: 'acme' });
    expect((await row(user.user.id, 'acme'))?.status).toBe('reauth_required');
    const grants = acme.refreshGrants();
    await expectError(await tokenOf(user.access_token, 'acme'), 409, 'connection_reauth_required');
    expect(acme.refreshGrants()).toBe(grants);
  });

  it('answers 503 upstream_unavailable when the provider is down, and without calling it once the breaker opens', async () => {
    mockProviders(down);
    const user = await connected(down, 'down');
    down.refresh = 'unavailable';
    await expiresIn(user.user.id, 'down', 10);
    for (let i = 0; i < 3; i++)
      await expectError(await tokenOf(user.access_token, 'down'), 503, 'upstream_unavailable');
    expect((await row(user.user.id, 'down'))?.status).toBe('ok');
    const grants = down.refreshGrants();
    await expectError(await tokenOf(user.access_token, 'down'), 503, 'upstream_unavailable');
    expect(down.refreshGrants()).toBe(grants);
  });

  it('needs a recent sign-in from a session: 401 reauth_required after 10 minutes', async () => {
    mockProviders(acme);
    const user = await connected(acme, 'acme');
    await ageSignIn(user.user.id, 11);
    const body = await expectError(await tokenOf(user.access_token, 'acme'), 401, 'reauth_required');
    expect(body).toMatchObject({ max_age_s: 600 });
  });

  it('takes an API key with connections:read, never one with only read or write', async () => {
    mockProviders(acme);
    const user = await connected(acme, 'acme');
    const readKey = await apiKey(user, ['read', 'write']);
    const tokenKey = await apiKey(user, ['connections:read']);
    await expectError(await tokenOf(readKey, 'acme'), 403, 'forbidden');
    expect((await ok(await tokenOf(tokenKey, 'acme'))).access_token).toBe(acme.accessTokens.at(-1));
    // The new scope opens this route only.
    await expectError(await send(e, '/v1/me', { token: tokenKey }), 403, 'forbidden');
  });

  it('refuses bad input with 400 and changes nothing', async () => {
    mockProviders(acme);
    const user = await connected(acme, 'acme');
    const grants = acme.refreshGrants();
    for (const query of ['?min_ttl=abc', '?min_ttl=-1', '?min_ttl=3601', '?min_ttl=1.5', '?other=1']) {
      await expectError(await tokenOf(user.access_token, 'acme', query), 400, 'invalid_request');
    }
    await expectError(await tokenOf(user.access_token, 'Not_A_Provider!'), 400, 'invalid_request');
    expect(acme.refreshGrants()).toBe(grants);
    expect(await tokenReads(user)).toEqual([]);
    // The same user's good request is audited, so the empty list above says something.
    await ok(await tokenOf(user.access_token, 'acme'));
    expect(await tokenReads(user)).toHaveLength(1);
  });

  it('answers 401 without a token or with a bad one, and 404 for a provider the user has not connected', async () => {
    mockProviders(acme, keeper);
    const owner = await connected(acme, 'acme');
    const other = await connected(keeper, 'keeper');
    await expectError(await send(e, '/v1/me/connections/acme/token'), 401, 'unauthorized');
    await expectError(await tokenOf(`${owner.access_token}x`, 'acme'), 401, 'unauthorized');
    await expectError(await tokenOf(other.access_token, 'acme'), 404, 'not_found');
    await expectError(await tokenOf(other.access_token, 'unknown'), 404, 'not_found');
  });

  it('is limited per user by the provider_token bucket', async () => {
    mockProviders(acme);
    const limited = { ...e, RATE_LIMITS: JSON.stringify({ provider_token: { limit: 2, window_s: 60 } }) } as Env;
    const user = await connected(acme, 'acme');
    await actorSees(user.user.id, limited);
    const get = () => send(limited, '/v1/me/connections/acme/token', { token: user.access_token });
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    const refused = await get();
    await expectError(refused, 429, 'rate_limited');
    expect(refused.headers.get('retry-after')).not.toBeNull();
  });

  it('never writes a provider token to a log line', async () => {
    const lines: string[] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    }
    mockProviders(acme);
    const user = await connected(acme, 'acme');
    await expiresIn(user.user.id, 'acme', 10);
    await ok(await tokenOf(user.access_token, 'acme'));
    expect(lines.length).toBeGreaterThan(0);
    const text = lines.join('\n');
    for (const token of [...acme.accessTokens, ...acme.issued]) expect(text).not.toContain(token);
  });
});
