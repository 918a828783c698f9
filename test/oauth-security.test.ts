import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectError, uniqueEmail } from './helpers';
import { flowCookie, landing, oauthEnv, send, start } from './oauth-helpers';
import { FakeProvider, type IdTokenTweak, mockProviders } from './oauth-provider';

describe('OAuth callback security', () => {
  let fake: FakeProvider;
  let e: Env;
  beforeAll(async () => {
    fake = await FakeProvider.create('https://id.secure.test');
    e = oauthEnv({ acme: fake.config(), twin: fake.config({ client_id: fake.clientId }) });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    fake.tweak = {};
  });

  /** A started flow: its state, the callback path the provider would send the browser to, and the browser. */
  async function begin(provider = 'acme') {
    const started = await start(e, provider);
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!;
    const path = fake.authorize(started.headers.get('location')!, {
      sub: `sub-${crypto.randomUUID()}`,
      email: uniqueEmail('sec'),
      email_verified: true,
    });
    const cookie = flowCookie(started);
    return { state, path, cookie, back: (p = path) => send(e, p, { headers: { cookie } }) };
  }

  it('binds the flow to the starting browser with a __Host- cookie for 10 minutes', async () => {
    mockProviders(fake);
    const started = await start(e, 'acme');
    const set = started.headers.getSetCookie().find((c) => c.startsWith('__Host-oauth_flow='))!;
    expect(set).toMatch(/^__Host-oauth_flow=[A-Za-z0-9_-]{43};/);
    for (const attribute of [/; Max-Age=600/, /; Path=\//, /; HttpOnly/, /; Secure/, /; SameSite=Lax/]) {
      expect(set).toMatch(attribute);
    }
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!;
    const stored = await runInDurableObject(env.OAUTH_STATE.getByName(state), (_instance, ctx) =>
      ctx.storage.sql.exec<{ data: string }>('SELECT data FROM flow').one(),
    );
    expect(stored.data).not.toContain(flowCookie(started).split('=')[1]);
  });

  it('refuses a callback without the flow cookie (login CSRF), leaving the flow to its own browser', async () => {
    mockProviders(fake);
    const { path, back } = await begin();
    const answer = await send(e, path);
    expect(answer.headers.get('location')).toBeNull();
    await expectError(answer, 400, 'invalid_request');
    expect(landing(await back()).searchParams.get('login_code')).toBeTruthy();
  });

  it('refuses a callback with another browser’s flow cookie, and clears it', async () => {
    mockProviders(fake);
    const mine = await begin();
    const theirs = await begin();
    const answer = await send(e, theirs.path, { headers: { cookie: mine.cookie } });
    expect(answer.headers.getSetCookie()).toContainEqual(expect.stringMatching(/^__Host-oauth_flow=; Max-Age=0;/));
    await expectError(answer, 400, 'invalid_request');
    await expectError(await theirs.back(), 400, 'invalid_request');
    expect(landing(await mine.back()).searchParams.get('login_code')).toBeTruthy();
  });

  it('clears the flow cookie on a successful callback', async () => {
    mockProviders(fake);
    const { back } = await begin();
    const answer = await back();
    expect(landing(answer).searchParams.get('login_code')).toBeTruthy();
    expect(answer.headers.getSetCookie()).toContainEqual(expect.stringMatching(/^__Host-oauth_flow=; Max-Age=0;/));
  });

  it('accepts a state once: a replayed callback gets a JSON error', async () => {
    mockProviders(fake);
    const { back } = await begin();
    expect(landing(await back()).searchParams.get('login_code')).toBeTruthy();
    await expectError(await back(), 400, 'invalid_request');
  });

  it('refuses an expired state', async () => {
    mockProviders(fake);
    const { state, back } = await begin();
    await runInDurableObject(env.OAUTH_STATE.getByName(state), (_instance, ctx) => {
      ctx.storage.sql.exec('UPDATE flow SET expires_at = ?', Date.now() - 1);
    });
    await expectError(await back(), 400, 'invalid_request');
  });

  it('forgets a flow when its 10 minutes are over (alarm)', async () => {
    mockProviders(fake);
    const { state, back } = await begin();
    const stub = env.OAUTH_STATE.getByName(state);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await expectError(await back(), 400, 'invalid_request');
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it('refuses a tampered, missing or malformed state', async () => {
    mockProviders(fake);
    const { state, path, back } = await begin();
    const flipped = `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`;
    await expectError(await back(path.replace(state, flipped)), 400, 'invalid_request');
    await expectError(await back(path.replace(`state=${state}`, '')), 400, 'invalid_request');
    await expectError(await back(path.replace(state, 'short')), 400, 'invalid_request');
    expect(landing(await back()).searchParams.get('login_code')).toBeTruthy();
  });

  it('refuses a state started for another provider', async () => {
    mockProviders(fake);
    const { path, back } = await begin('twin');
    await expectError(await back(path.replace('/twin/', '/acme/')), 400, 'invalid_request');
  });

  it('sends the stored PKCE verifier: a different one is refused by the provider', async () => {
    mockProviders(fake);
    const { state, back } = await begin();
    await runInDurableObject(env.OAUTH_STATE.getByName(state), (_instance, ctx) => {
      const row = ctx.storage.sql.exec<{ data: string }>('SELECT data FROM flow').one();
      const flow = { ...JSON.parse(row.data), verifier: 'x'.repeat(43) };
      ctx.storage.sql.exec('UPDATE flow SET data = ?', JSON.stringify(flow));
    });
    expect(landing(await back()).searchParams.get('error')).toBe('unauthorized');
  });

  const spoiled: [string, IdTokenTweak][] = [
    ['a nonce of another flow', { nonce: 'not-the-nonce' }],
    ['the wrong audience', { aud: 'someone-else' }],
    ['the wrong issuer', { iss: 'https://id.evil.test' }],
    ['an expired token', { expired: true }],
    ['a signature by a key not in the JWKS', { foreignKey: true }],
  ];
  for (const [what, tweak] of spoiled) {
    it(`refuses an ID token with ${what}`, async () => {
      mockProviders(fake);
      const { back } = await begin();
      fake.tweak = tweak;
      const to = landing(await back());
      expect(to.searchParams.get('error')).toBe('unauthorized');
      expect(to.searchParams.has('login_code')).toBe(false);
    });
  }
});
