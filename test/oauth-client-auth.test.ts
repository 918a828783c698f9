import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, parseConfig } from '../core/config';
import { uniqueEmail } from './helpers';
import { outboxDrained } from './mail';
import { landing, oauthEnv, roundTrip, signInWith } from './oauth-helpers';
import { FakeProvider, mockProviders, type TokenRequest } from './oauth-provider';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const user = (name: string) => ({ sub: `sub-${crypto.randomUUID()}`, email: uniqueEmail(name), email_verified: true });
const lastTokenRequest = (fake: FakeProvider) => fake.tokenRequests.at(-1)!;

describe('client authentication at the token endpoint', () => {
  let post: FakeProvider;
  let basic: FakeProvider;
  let keyed: FakeProvider;
  let publicKey: CryptoKey;
  let privateJwk: Record<string, unknown>;
  let e: Env;
  beforeAll(async () => {
    [post, basic, keyed] = await Promise.all([
      FakeProvider.create('https://id.post.test'),
      FakeProvider.create('https://id.basic.test'),
      FakeProvider.create('https://id.keyed.test'),
    ]);
    const pair = await generateKeyPair('ES256', { extractable: true });
    publicKey = pair.publicKey;
    privateJwk = { ...(await exportJWK(pair.privateKey)), alg: 'ES256', kid: 'client-key-1' };
    basic.auth = 'client_secret_basic';
    keyed.auth = 'private_key_jwt';
    keyed.clientKey = publicKey;
    e = oauthEnv({
      post: post.config(),
      basic: basic.config({ token_endpoint_auth_method: 'client_secret_basic' }),
      keyed: {
        issuer: keyed.issuer,
        client_id: keyed.clientId,
        token_endpoint_auth_method: 'private_key_jwt',
        private_key_jwk: privateJwk,
      },
      // Registered for Basic at the provider, configured here for the default (post).
      mismatched: basic.config(),
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it('client_secret_post (the default) sends the id and secret as form fields and no Authorization header', async () => {
    mockProviders(post);
    await signInWith(e, post, 'post', user('post'));
    const { authorization, form } = lastTokenRequest(post);
    expect(authorization).toBeNull();
    expect(form.get('client_id')).toBe(post.clientId);
    expect(form.get('client_secret')).toBe(post.clientSecret);
  });

  it('client_secret_basic sends the form-encoded id and secret in the Authorization header, not in the form', async () => {
    mockProviders(basic);
    await signInWith(e, basic, 'basic', user('basic'));
    const { authorization, form } = lastTokenRequest(basic);
    // RFC 6749 §2.3.1: each part is form-encoded, so the secret's "-" travels as %2D.
    const [id, secret] = atob(authorization!.replace(/^Basic /, '')).split(':');
    expect(id).toBe('fake%2Dclient%2Did');
    expect(decodeURIComponent(secret!)).toBe(basic.clientSecret);
    expect(form.has('client_secret')).toBe(false);
    expect(form.get('grant_type')).toBe('authorization_code');
  });

  it('fails the sign-in when the configured method is not the one the provider registered', async () => {
    mockProviders(basic);
    const callback = await roundTrip(e, basic, 'mismatched', user('mismatch'));
    expect(landing(callback).searchParams.get('error')).toBe('unauthorized');
    expect(lastTokenRequest(basic).form.get('client_secret')).toBe(basic.clientSecret);
  });

  it('private_key_jwt sends a client_assertion signed by the key: iss = sub = client id, aud = issuer, 60 s, fresh jti', async () => {
    mockProviders(keyed);
    await signInWith(e, keyed, 'keyed', user('keyed'));
    await signInWith(e, keyed, 'keyed', user('keyed'));
    const requests = keyed.tokenRequests.slice(-2);
    const jtis = [];
    for (const { authorization, form } of requests) {
      expect(authorization).toBeNull();
      expect(form.has('client_secret')).toBe(false);
      expect(form.get('client_id')).toBe(keyed.clientId);
      expect(form.get('client_assertion_type')).toBe(ASSERTION_TYPE);
      const { payload, protectedHeader } = await jwtVerify(form.get('client_assertion')!, publicKey, {
        issuer: keyed.clientId,
        subject: keyed.clientId,
        audience: keyed.issuer,
      });
      expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'client-key-1' });
      expect(payload.exp! - payload.iat!).toBe(60);
      expect(payload.exp! * 1000).toBeGreaterThan(Date.now());
      expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{43}$/);
      jtis.push(payload.jti);
    }
    expect(jtis[0]).not.toBe(jtis[1]);
  });

  it('refuses a client_assertion signed by another key', async () => {
    mockProviders(keyed);
    const other = await generateKeyPair('ES256', { extractable: true });
    const forged = { ...(await exportJWK(other.privateKey)), alg: 'ES256', kid: 'client-key-1' };
    const wrongKey = oauthEnv({
      keyed: {
        issuer: keyed.issuer,
        client_id: keyed.clientId,
        token_endpoint_auth_method: 'private_key_jwt',
        private_key_jwk: forged,
      },
    });
    const callback = await roundTrip(wrongKey, keyed, 'keyed', user('forged'));
    expect(landing(callback).searchParams.get('error')).toBe('unauthorized');
  });

  it('answers upstream_unavailable and logs the provider, never the key, when the key does not import', async () => {
    mockProviders(keyed);
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    const broken = { ...privateJwk, x: privateJwk.y, kid: 'client-key-broken' };
    const unusable = oauthEnv({
      keyed: {
        issuer: keyed.issuer,
        client_id: keyed.clientId,
        token_endpoint_auth_method: 'private_key_jwt',
        private_key_jwk: broken,
      },
    });
    const before = keyed.tokenRequests.length;
    const callback = await roundTrip(unusable, keyed, 'keyed', user('broken'));
    expect(landing(callback).searchParams.get('error')).toBe('upstream_unavailable');
    expect(keyed.tokenRequests.length).toBe(before);
    expect(lines.join('\n')).toContain('"provider":"keyed"');
    expect(lines.join('\n')).not.toContain(privateJwk.d as string);
  });

  for (const [provider, expectAuth] of [
    ['basic', (r: TokenRequest) => expect(r.authorization).toMatch(/^Basic /)],
    ['keyed', (r: TokenRequest) => expect(r.form.get('client_assertion_type')).toBe(ASSERTION_TYPE)],
  ] as const) {
    it(`refreshes ${provider}'s tokens from the alarm with the same client authentication`, async () => {
      const fake = provider === 'basic' ? basic : keyed;
      mockProviders(fake);
      const tokens = await signInWith(e, fake, provider, user(`refresh-${provider}`));
      // The signup's verification mail leaves first, so the forced alarm is the refresh's.
      await outboxDrained(tokens.user.id);
      const stub = env.USER.getByName(tokens.user.id);
      // The sign-in's audit entries scheduled the actor's backup, due first: it runs now.
      await runDurableObjectAlarm(stub);
      await env.DB.prepare('UPDATE oauth_accounts SET expires_at = ? WHERE user_id = ?')
        .bind(Date.now() + 60_000, tokens.user.id)
        .run();
      await runInDurableObject(stub, (instance, ctx) => {
        // The actor reads OAUTH_PROVIDERS from its own env, which the tests' override does not reach.
        Reflect.set(instance, 'env', e);
        ctx.storage.sql.exec('UPDATE oauth_refresh SET due_at = ?', Date.now() - 1);
      });
      const before = fake.tokenRequests.length;
      await runDurableObjectAlarm(stub);
      expect(fake.tokenRequests.length).toBe(before + 1);
      const refresh = lastTokenRequest(fake);
      expect(refresh.form.get('grant_type')).toBe('refresh_token');
      expect(refresh.form.has('client_secret')).toBe(false);
      expectAuth(refresh);
      const row = await env.DB.prepare('SELECT status FROM oauth_accounts WHERE user_id = ?')
        .bind(tokens.user.id)
        .first<{ status: string }>();
      expect(row?.status).toBe('ok');
    });
  }
});

describe('client authentication settings at start-up', () => {
  function problems(provider: Record<string, unknown>): string {
    try {
      parseConfig({ ...env, OAUTH_PROVIDERS: JSON.stringify({ acme: { client_id: 'id', ...provider } }) });
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    return '';
  }
  let jwk: Record<string, unknown>;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    jwk = { ...(await exportJWK(pair.privateKey)), alg: 'ES256' };
  });

  it('accepts each method with what it needs', () => {
    expect(problems({ client_secret: 's' })).toBe('');
    expect(problems({ client_secret: 's', token_endpoint_auth_method: 'client_secret_basic' })).toBe('');
    expect(problems({ token_endpoint_auth_method: 'private_key_jwt', private_key_jwk: jwk })).toBe('');
  });

  it('refuses a method without its secret or key, or a key beside a secret method', () => {
    expect(problems({ token_endpoint_auth_method: 'client_secret_basic' })).toMatch(
      /^Invalid configuration: OAUTH_PROVIDERS/,
    );
    expect(problems({ token_endpoint_auth_method: 'private_key_jwt', client_secret: 's' })).toMatch(/OAUTH_PROVIDERS/);
    expect(problems({ client_secret: 's', private_key_jwk: jwk })).toMatch(/OAUTH_PROVIDERS/);
    expect(problems({ client_secret: 's', token_endpoint_auth_method: 'client_secret_jwt' })).toMatch(
      /OAUTH_PROVIDERS/,
    );
  });

  it('refuses a public key, or a key whose kty, crv and alg disagree, without echoing it', () => {
    const { d: _d, ...publicOnly } = jwk;
    const method = { token_endpoint_auth_method: 'private_key_jwt' };
    expect(problems({ ...method, private_key_jwk: publicOnly })).toMatch(/OAUTH_PROVIDERS/);
    const mismatch = problems({ ...method, private_key_jwk: { ...jwk, alg: 'ES384' } });
    expect(mismatch).toMatch(/OAUTH_PROVIDERS\.acme\.private_key_jwk kty, crv and alg do not match/);
    expect(mismatch).not.toContain(jwk.d as string);
    expect(problems({ ...method, private_key_jwk: { ...jwk, alg: 'RS256' } })).toMatch(/OAUTH_PROVIDERS/);
  });
});
