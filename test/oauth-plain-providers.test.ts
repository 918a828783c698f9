import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, parseConfig } from '../core/config';
import { claimsAt } from '../core/oauth/identity';
import { uniqueEmail } from './helpers';
import { actorSees, landing, oauthEnv, roundTrip, send, signInWith } from './oauth-helpers';
import { FakeProvider, type FakeUser, mockProviders } from './oauth-provider';

let counter = 0;

/** A plain OAuth 2.0 provider (no issuer, no ID token): the identity comes from userinfo. */
async function plainProvider(extra: Record<string, unknown> = {}) {
  counter += 1;
  const name = `plain${counter}`;
  const fake = await FakeProvider.create(`https://id.plain${counter}.test`);
  const config = {
    client_id: fake.clientId,
    client_secret: fake.clientSecret,
    authorization_endpoint: `${fake.issuer}/authorize`,
    token_endpoint: `${fake.issuer}/token`,
    userinfo_endpoint: `${fake.issuer}/userinfo`,
    scopes: ['users.read'],
    ...extra,
  };
  mockProviders(fake);
  return { name, fake, e: oauthEnv({ [name]: config }) };
}

const someone = (): FakeUser => ({
  sub: `id-${crypto.randomUUID()}`,
  email: uniqueEmail('plain'),
  email_verified: true,
  name: 'Ada',
});

/** X's shape of /2/users/me: the user nested under `data`. */
const xShape = (user: FakeUser) => ({
  data: { id: user.sub, name: user.name, username: 'ada', email: user.email, verified_email: user.email_verified },
});

const connectionOf = (userId: string, provider: string) =>
  env.DB.prepare(
    'SELECT provider_user_id, email, expires_at, refresh_token_enc FROM oauth_accounts WHERE user_id = ? AND provider = ?',
  )
    .bind(userId, provider)
    .first<{
      provider_user_id: string;
      email: string | null;
      expires_at: number | null;
      refresh_token_enc: string | null;
    }>();

describe('plain OAuth 2.0 providers: identity from userinfo with a field mapping', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads the identity where userinfo_fields say (X nests it under data), with client_secret_basic', async () => {
    const { name, fake, e } = await plainProvider({
      token_endpoint_auth_method: 'client_secret_basic',
      userinfo_fields: {
        subject: 'data.id',
        email: 'data.email',
        email_verified: 'data.verified_email',
        name: 'data.name',
      },
    });
    fake.auth = 'client_secret_basic';
    fake.userinfo = xShape;
    const user = someone();
    const tokens = await signInWith(e, fake, name, user);
    expect(tokens.user).toMatchObject({ email: user.email, name: 'Ada' });
    expect(await connectionOf(tokens.user.id, name)).toMatchObject({ provider_user_id: user.sub, email: user.email });
    expect(fake.tokenRequests.at(-1)?.authorization).toMatch(/^Basic /);
    expect(fake.requests).not.toContain('GET /.well-known/openid-configuration');
  });

  it('refuses the sign-in when the answer has no subject where the mapping (or the standard claims) say', async () => {
    const { name, fake, e } = await plainProvider();
    fake.userinfo = xShape;
    const callback = await roundTrip(e, fake, name, someone());
    expect(landing(callback).searchParams.get('error')).toBe('unauthorized');
  });

  it('reads paths only through objects, never into arrays or inherited keys', () => {
    expect(claimsAt({ data: { id: 7 } }, { subject: 'data.id' })).toMatchObject({ sub: 7 });
    expect(claimsAt({ data: [{ id: 7 }] }, { subject: 'data.0.id' }).sub).toBeUndefined();
    expect(claimsAt({ data: {} }, { subject: 'data.constructor' }).sub).toBeUndefined();
    expect(claimsAt({ sub: 's', id: 'i' }, { subject: 'data.id' })).not.toHaveProperty('id');
    expect(claimsAt({ sub: 's', email: 'a@b.c' }, {})).toEqual({ sub: 's', email: 'a@b.c' });
  });
});

describe('a provider with long-lived tokens (Meta’s exchange hook)', () => {
  afterEach(() => vi.restoreAllMocks());

  async function metaProvider() {
    counter += 1;
    const name = `meta${counter}`;
    const fake = await FakeProvider.create(`https://graph.meta${counter}.test`);
    const e = oauthEnv({
      [name]: {
        client_id: fake.clientId,
        client_secret: fake.clientSecret,
        authorization_endpoint: `${fake.issuer}/authorize`,
        token_endpoint: `${fake.issuer}/token`,
        userinfo_endpoint: `${fake.issuer}/userinfo`,
        scopes: ['email', 'public_profile'],
        token_exchange: { hook: 'facebook', endpoint: `${fake.issuer}/exchange` },
      },
    });
    mockProviders(fake);
    return { name, fake, e };
  }

  it('trades the short-lived token for a long-lived one before anything is stored', async () => {
    const { name, fake, e } = await metaProvider();
    fake.expiresIn = 3600;
    const tokens = await signInWith(e, fake, name, someone());
    const short = fake.accessTokens.at(-2);
    const long = fake.accessTokens.at(-1);
    expect(long).toMatch(/^long-/);
    const query = fake.exchanges.at(-1);
    expect(query?.get('fb_exchange_token')).toBe(short);
    expect(query?.get('client_secret')).toBe(fake.clientSecret);
    const row = await connectionOf(tokens.user.id, name);
    expect(row?.refresh_token_enc).toBeNull();
    expect((row?.expires_at ?? 0) - Date.now()).toBeGreaterThan(59 * 86_400_000);
    await actorSees(tokens.user.id, e);
    const answer = await send(e, `/v1/me/connections/${name}/token`, { token: tokens.access_token });
    expect(((await answer.json()) as { access_token: string }).access_token).toBe(long);
  });

  it('refuses the sign-in and creates nothing when the exchange is refused', async () => {
    const { name, fake, e } = await metaProvider();
    const realSecret = fake.clientSecret;
    Reflect.set(fake, 'clientSecret', 'rotated-at-meta');
    const user = someone();
    try {
      const callback = await roundTrip(e, fake, name, user);
      expect(landing(callback).searchParams.get('error')).toBe('unauthorized');
    } finally {
      Reflect.set(fake, 'clientSecret', realSecret);
    }
    const row = await env.DB.prepare('SELECT id FROM users WHERE email = ?').bind(user.email).first();
    expect(row).toBeNull();
  });

  it('retries an exchange the provider answered with 503, and answers upstream_unavailable when it stays down', async () => {
    const { name, fake, e } = await metaProvider();
    fake.outage['/exchange'] = 1;
    expect(landing(await roundTrip(e, fake, name, someone())).searchParams.get('login_code')).not.toBeNull();
    fake.outage['/exchange'] = Number.POSITIVE_INFINITY;
    expect(landing(await roundTrip(e, fake, name, someone())).searchParams.get('error')).toBe('upstream_unavailable');
  });
});

describe('configuration of plain providers and hooks', () => {
  const problems = (provider: Record<string, unknown>): string[] => {
    try {
      parseConfig({ ...env, OAUTH_PROVIDERS: JSON.stringify({ p: provider }) });
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };
  const base = {
    client_id: 'c',
    client_secret: 's',
    authorization_endpoint: 'https://p.test/a',
    token_endpoint: 'https://p.test/t',
    userinfo_endpoint: 'https://p.test/u',
  };

  it('accepts a field mapping and a known hook', () => {
    expect(
      problems({
        ...base,
        userinfo_fields: { subject: 'data.id' },
        token_exchange: { hook: 'facebook', endpoint: 'https://p.test/x' },
      }),
    ).toEqual([]);
  });

  it('refuses a bad field path, an unknown field, an unknown hook, or a hook without a client secret', () => {
    expect(problems({ ...base, userinfo_fields: { subject: 'data..id' } }).join()).toMatch(
      /OAUTH_PROVIDERS\.p\.userinfo_fields\.subject must be a dotted path/,
    );
    expect(problems({ ...base, userinfo_fields: { phone: 'x' } }).join()).toMatch(/userinfo_fields\.phone/);
    expect(problems({ ...base, token_exchange: { hook: 'myspace', endpoint: 'https://p.test/x' } }).join()).toMatch(
      /token_exchange\.hook/,
    );
    const { client_secret: _secret, ...keyed } = base;
    const jwk = { kty: 'EC', crv: 'P-256', alg: 'ES256', x: 'x', y: 'y', d: 'd'.repeat(43) };
    expect(
      problems({
        ...keyed,
        token_endpoint_auth_method: 'private_key_jwt',
        private_key_jwk: jwk,
        token_exchange: { hook: 'facebook', endpoint: 'https://p.test/x' },
      }).join(),
    ).toMatch(/token_exchange sends the client secret/);
  });
});
