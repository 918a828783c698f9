import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { challengeOf } from '../core/oauth/pkce';
import { expectError, signup } from './helpers';
import { APP, BACK, oauthEnv, send, start } from './oauth-helpers';
import { FakeProvider, mockProviders } from './oauth-provider';

describe('GET /v1/oauth/{provider}/start', () => {
  let fake: FakeProvider;
  let e: Env;
  beforeAll(async () => {
    fake = await FakeProvider.create('https://id.start.test');
    e = oauthEnv({
      acme: fake.config(),
      github: { client_id: 'gh-id', client_secret: 'gh-secret' },
      down: { issuer: 'https://id.down.test', client_id: 'x', client_secret: 'y' },
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it('redirects to the provider with state, nonce and a PKCE S256 challenge', async () => {
    mockProviders(fake);
    const response = await start(e, 'acme');
    expect(response.status).toBe(302);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://id.start.test/authorize');
    const p = location.searchParams;
    expect(p.get('response_type')).toBe('code');
    expect(p.get('client_id')).toBe(fake.clientId);
    expect(p.get('redirect_uri')).toBe('http://127.0.0.1:8787/v1/oauth/acme/callback');
    expect(p.get('scope')).toBe('openid email profile');
    expect(p.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.has('client_secret')).toBe(false);
  });

  it('uses a fresh state, nonce and challenge for every flow', async () => {
    mockProviders(fake);
    const [a, b] = await Promise.all([start(e, 'acme'), start(e, 'acme')]);
    const pa = new URL(a.headers.get('location')!).searchParams;
    const pb = new URL(b.headers.get('location')!).searchParams;
    for (const name of ['state', 'nonce', 'code_challenge']) expect(pa.get(name)).not.toBe(pb.get(name));
  });

  it('computes S256 challenges as RFC 7636 does', async () => {
    expect(await challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('needs only a client id and secret for the github preset (plain OAuth, no nonce)', async () => {
    const spy = mockProviders(fake);
    const response = await start(e, 'github');
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://github.com/login/oauth/authorize');
    expect(location.searchParams.get('scope')).toBe('read:user user:email');
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.has('nonce')).toBe(false);
    expect(spy).not.toHaveBeenCalled();
  });

  it('refuses a redirect_to whose origin is not exactly on the allowlist', async () => {
    mockProviders(fake);
    for (const target of [
      'https://evil.example/x',
      'https://app.example.evil.example/x',
      'http://app.example/x',
      'https://app.example:444/x',
      'https://user:pass@app.example/x',
      'javascript:alert(1)',
      '/relative',
    ]) {
      const body = await expectError(await start(e, 'acme', { redirectTo: target }), 400, 'invalid_request');
      expect(body.error.details[0]?.path).toBe('redirect_to');
    }
    await expectError(await send(e, '/v1/oauth/acme/start'), 400, 'invalid_request');
    await expectError(await send(e, `/v1/oauth/acme/start?redirect_to=${APP}&intent=merge`), 400, 'invalid_request');
  });

  it('answers 404 for a provider that is not configured', async () => {
    await expectError(await start(e, 'nobody'), 404, 'not_found');
    await expectError(await start(e, '__proto__'), 404, 'not_found');
    await expectError(await start(e, 'Bad.Name'), 400, 'invalid_request');
    await expectError(await start(e, 'constructor'), 404, 'not_found');
  });

  it('needs a signed-in user to link, and refuses a bad token', async () => {
    await expectError(await start(e, 'acme', { intent: 'link' }), 401, 'unauthorized');
    await expectError(await start(e, 'acme', { intent: 'link', token: 'not-a-jwt' }), 401, 'unauthorized');
    mockProviders(fake);
    const user = await signup();
    expect((await start(e, 'acme', { intent: 'link', token: user.access_token })).status).toBe(302);
  });

  it('answers 503 when discovery fails, and caches a successful discovery', async () => {
    const spy = mockProviders(fake);
    await expectError(await start(e, 'down'), 503, 'upstream_unavailable');
    const before = fake.requests.filter((r) => r.includes('openid-configuration')).length;
    await start(e, 'acme');
    expect(fake.requests.filter((r) => r.includes('openid-configuration')).length).toBe(before);
    expect(spy).toHaveBeenCalled();
  });

  it('is limited per IP by the auth bucket', async () => {
    mockProviders(fake);
    const limited = { ...e, RATE_LIMITS: '{"auth":{"limit":2,"window_s":60}}' } as Env;
    const ip = '203.0.113.77';
    const path = `/v1/oauth/acme/start?redirect_to=${encodeURIComponent(BACK)}`;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await send(limited, path, { ip }));
    expect(statuses.map((r) => r.status)).toEqual([302, 302, 429]);
    expect(statuses[0]!.headers.get('x-ratelimit-limit')).toBe('2');
    await expectError(statuses[2]!, 429, 'rate_limited');
  });
});
