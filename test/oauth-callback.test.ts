import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditTypes, call, signup, uniqueEmail } from './helpers';
import { APP, exchange, landing, oauthEnv, roundTrip, send, sendCallback, signInWith, start } from './oauth-helpers';
import { FakeProvider, mockProviders } from './oauth-provider';

describe('GET /v1/oauth/{provider}/callback', () => {
  let fake: FakeProvider;
  let other: FakeProvider;
  let e: Env;
  beforeAll(async () => {
    [fake, other] = await Promise.all([
      FakeProvider.create('https://id.acme.test'),
      FakeProvider.create('https://id.other.test'),
    ]);
    e = oauthEnv({ acme: fake.config(), other: other.config() });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    fake.tweak = {};
  });

  it('signs up a new user without a password and sends a login code back to redirect_to', async () => {
    mockProviders(fake);
    const email = uniqueEmail('oauth-new');
    const callback = await roundTrip(e, fake, 'acme', { sub: 'sub-new', email, email_verified: true, name: 'Neo' });
    expect(callback.status).toBe(302);
    const to = landing(callback);
    expect(to.origin + to.pathname).toBe(`${APP}/signed-in`);
    expect(to.searchParams.get('from')).toBe('test');
    const code = to.searchParams.get('login_code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const tokens = (await (await exchange(e, code)).json()) as {
      user: { id: string; email: string };
      access_token: string;
    };
    expect(tokens.user).toMatchObject({ email, name: 'Neo', mfa_enabled: false });
    expect((await call('/v1/me', { token: tokens.access_token })).status).toBe(200);
    const row = await env.DB.prepare('SELECT password_hash, email_verified FROM users WHERE id = ?')
      .bind(tokens.user.id)
      .first<{ password_hash: string | null; email_verified: number }>();
    expect(row).toEqual({ password_hash: null, email_verified: 1 });
    expect((await auditTypes(tokens.user.id)).sort()).toEqual(['login_succeeded', 'oauth_linked', 'signup']);
  });

  it('signs the linked user in again on a later visit', async () => {
    mockProviders(fake);
    const user = { sub: 'sub-again', email: uniqueEmail('again'), email_verified: true };
    const first = await signInWith(e, fake, 'acme', user);
    const second = await signInWith(e, fake, 'acme', { ...user, email: uniqueEmail('changed') });
    expect(second.user.id).toBe(first.user.id);
  });

  it('links the provider to the signed-in user with intent=link', async () => {
    mockProviders(fake);
    const owner = await signup();
    const callback = await roundTrip(
      e,
      fake,
      'acme',
      { sub: 'sub-linked', email: uniqueEmail('l') },
      {
        intent: 'link',
        token: owner.access_token,
      },
    );
    expect(landing(callback).toString()).toBe(`${APP}/signed-in?from=test&linked=acme`);
    expect(callback.headers.getSetCookie().some((c) => c.startsWith('__Host-access='))).toBe(false);
    const list = (await (await send(e, '/v1/me/connections', { token: owner.access_token })).json()) as {
      connections: { provider: string; provider_user_id: string }[];
    };
    expect(list.connections).toMatchObject([{ provider: 'acme', provider_user_id: 'sub-linked' }]);
    const again = await signInWith(e, fake, 'acme', { sub: 'sub-linked' });
    expect(again.user.id).toBe(owner.user.id);
  });

  it('issues no login code for a link flow, in cookie mode either', async () => {
    mockProviders(fake);
    const owner = await signup();
    const identity = { sub: `sub-${crypto.randomUUID()}`, email: uniqueEmail('lc') };
    const callback = await roundTrip(e, fake, 'acme', identity, {
      intent: 'link',
      mode: 'cookie',
      token: owner.access_token,
    });
    expect(landing(callback).searchParams.get('linked')).toBe('acme');
    expect(landing(callback).searchParams.has('login_code')).toBe(false);
    expect(callback.headers.getSetCookie().some((c) => /^__Host-(access|refresh)=/.test(c))).toBe(false);
  });

  it('does not link when the session that started the flow has ended', async () => {
    mockProviders(fake);
    const owner = await signup();
    const started = await start(e, 'acme', { intent: 'link', token: owner.access_token });
    const path = fake.authorize(started.headers.get('location')!, { sub: `sub-${crypto.randomUUID()}` });
    const out = await call('/v1/auth/logout', { method: 'POST', token: owner.access_token });
    expect(out.status).toBeLessThan(300);
    const answer = await sendCallback(e, started, path);
    expect(landing(answer).searchParams.get('error')).toBe('unauthorized');
    const linked = await env.DB.prepare('SELECT count(*) AS n FROM oauth_accounts WHERE user_id = ?')
      .bind(owner.user.id)
      .first<{ n: number }>();
    expect(linked?.n).toBe(0);
  });

  it('refuses to link an identity that belongs to another user', async () => {
    mockProviders(fake);
    await signInWith(e, fake, 'acme', { sub: 'sub-taken', email: uniqueEmail('t'), email_verified: true });
    const someone = await signup();
    const callback = await roundTrip(
      e,
      fake,
      'acme',
      { sub: 'sub-taken' },
      { intent: 'link', token: someone.access_token },
    );
    expect(landing(callback).searchParams.get('error')).toBe('conflict');
    expect(landing(callback).searchParams.has('login_code')).toBe(false);
  });

  it('never merges into an existing account by a provider’s email, verified or not (see oauth-merge.test.ts)', async () => {
    mockProviders(fake, other);
    const owner = await signup();
    const unverified = await roundTrip(e, fake, 'acme', {
      sub: 'sub-claims',
      email: owner.email,
      email_verified: false,
    });
    expect(landing(unverified).searchParams.get('error')).toBe('conflict');
    const missingFlag = await roundTrip(e, other, 'other', { sub: 'sub-claims-2', email: owner.email.toUpperCase() });
    expect(landing(missingFlag).searchParams.get('error')).toBe('conflict');
    const none = await env.DB.prepare('SELECT count(*) AS n FROM oauth_accounts WHERE user_id = ?')
      .bind(owner.user.id)
      .first<{ n: number }>();
    expect(none?.n).toBe(0);
    const verified = await roundTrip(e, fake, 'acme', {
      sub: 'sub-verified',
      email: owner.email,
      email_verified: true,
    });
    expect(landing(verified).searchParams.get('error')).toBe('conflict');
    const still = await env.DB.prepare('SELECT count(*) AS n FROM oauth_accounts WHERE user_id = ?')
      .bind(owner.user.id)
      .first<{ n: number }>();
    expect(still?.n).toBe(0);
  });

  it('refuses a sign-up without an email from the provider', async () => {
    mockProviders(fake);
    const callback = await roundTrip(e, fake, 'acme', { sub: 'sub-no-email' });
    expect(landing(callback).searchParams.get('error')).toBe('invalid_request');
  });

  it('sets the session cookies in cookie mode, besides the login code', async () => {
    mockProviders(fake);
    const callback = await roundTrip(
      e,
      fake,
      'acme',
      { sub: 'sub-cookie', email: uniqueEmail('c') },
      { mode: 'cookie' },
    );
    expect(landing(callback).searchParams.get('login_code')).toBeTruthy();
    const cookies = callback.headers.getSetCookie();
    expect(cookies.some((c) => c.startsWith('__Host-access=') && /HttpOnly/i.test(c) && /Secure/i.test(c))).toBe(true);
    expect(cookies.some((c) => c.startsWith('__Host-refresh='))).toBe(true);
    const access = cookies.find((c) => c.startsWith('__Host-access='))!.split(';')[0]!;
    expect((await call('/v1/me', { headers: { cookie: access } })).status).toBe(200);
  });

  it('sends the provider’s refusal back to redirect_to as an error', async () => {
    mockProviders(fake);
    const started = await send(e, `/v1/oauth/acme/start?redirect_to=${encodeURIComponent(`${APP}/x`)}`);
    const state = new URL(started.headers.get('location')!).searchParams.get('state');
    const answer = await sendCallback(e, started, `/v1/oauth/acme/callback?state=${state}&error=access_denied`);
    expect(answer.status).toBe(302);
    expect(landing(answer).toString()).toBe(`${APP}/x?error=unauthorized`);
  });

  it('answers upstream_unavailable through the redirect when the token endpoint is down', async () => {
    const spy = mockProviders(fake);
    const started = await send(e, `/v1/oauth/acme/start?redirect_to=${encodeURIComponent(APP)}`);
    const path = fake.authorize(started.headers.get('location')!, { sub: 'sub-down', email: uniqueEmail('d') });
    spy.mockImplementation(async () => new Response('down', { status: 503 }));
    expect(landing(await sendCallback(e, started, path)).searchParams.get('error')).toBe('upstream_unavailable');
  });
});
