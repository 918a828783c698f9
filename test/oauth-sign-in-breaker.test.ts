import { afterEach, describe, expect, it, vi } from 'vitest';
import { BREAKER_THRESHOLD } from '../core/oauth/breaker';
import { GUARD_RETRY_BUDGET_MS } from '../core/oauth/guard';
import { uniqueEmail } from './helpers';
import { landing, oauthEnv, roundTrip, sendCallback, start } from './oauth-helpers';
import { FakeProvider, mockProviders } from './oauth-provider';

let counter = 0;

/** A provider of its own (the breaker and the discovery cache are per isolate, by name and issuer). */
async function fresh(plain = false) {
  counter += 1;
  const name = `p${counter}`;
  const fake = await FakeProvider.create(`https://id.sb${counter}.test`);
  const config = plain
    ? {
        // Plain OAuth 2.0: no issuer, no ID token; the identity comes from userinfo.
        client_id: fake.clientId,
        client_secret: fake.clientSecret,
        authorization_endpoint: `${fake.issuer}/authorize`,
        token_endpoint: `${fake.issuer}/token`,
        userinfo_endpoint: `${fake.issuer}/userinfo`,
        scopes: ['profile'],
      }
    : fake.config();
  mockProviders(fake);
  return { name, fake, e: oauthEnv({ [name]: config }) };
}

const user = () => ({ sub: `sub-${crypto.randomUUID()}`, email: uniqueEmail('sb'), email_verified: true });
const count = (fake: FakeProvider, request: string) => fake.requests.filter((r) => r === request).length;

describe('sign-in calls to a provider: retries and the breaker', () => {
  afterEach(() => vi.restoreAllMocks());

  it('retries discovery that failed with a 503, and signs in', async () => {
    const { name, fake, e } = await fresh();
    fake.outage['/.well-known/openid-configuration'] = 2;
    const callback = await roundTrip(e, fake, name, user());
    expect(landing(callback).searchParams.get('login_code')).not.toBeNull();
    expect(count(fake, 'GET /.well-known/openid-configuration')).toBe(3);
  });

  it('retries a code exchange the provider answered with 503', async () => {
    const { name, fake, e } = await fresh();
    const started = await start(e, name);
    fake.outage['/token'] = 1;
    const callback = await sendCallback(e, started, fake.authorize(started.headers.get('location')!, user()));
    expect(landing(callback).searchParams.get('login_code')).not.toBeNull();
    expect(count(fake, 'POST /token')).toBe(2);
  });

  it('retries userinfo for a plain OAuth 2.0 provider', async () => {
    const { name, fake, e } = await fresh(true);
    fake.outage['/userinfo'] = 2;
    const callback = await roundTrip(e, fake, name, user());
    expect(landing(callback).searchParams.get('login_code')).not.toBeNull();
    expect(count(fake, 'GET /userinfo')).toBe(3);
  });

  it('does not repeat a call that failed slowly: the user has waited long enough', async () => {
    const { name, fake, e } = await fresh(true);
    fake.outage['/userinfo'] = Number.POSITIVE_INFINITY;
    fake.slow['/userinfo'] = GUARD_RETRY_BUDGET_MS + 200;
    const callback = await roundTrip(e, fake, name, user());
    expect(landing(callback).searchParams.get('error')).toBe('upstream_unavailable');
    expect(count(fake, 'GET /userinfo')).toBe(1);
  });

  it('opens after repeated outages: the next sign-in answers upstream_unavailable without calling the provider', async () => {
    const { name, fake, e } = await fresh();
    const pending = await start(e, name); // discovery, cached; a flow the user finishes later
    fake.outage['/token'] = Number.POSITIVE_INFINITY;
    for (let i = 0; i < BREAKER_THRESHOLD; i++) {
      const callback = await roundTrip(e, fake, name, user());
      expect(landing(callback).searchParams.get('error')).toBe('upstream_unavailable');
    }
    expect(count(fake, 'POST /token')).toBe(BREAKER_THRESHOLD * 3);
    const before = fake.requests.length;
    const started = Date.now();
    const blocked = await start(e, name);
    expect(blocked.status).toBe(503);
    expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('upstream_unavailable');
    const late = await sendCallback(e, pending, fake.authorize(pending.headers.get('location')!, user()));
    expect(landing(late).searchParams.get('error')).toBe('upstream_unavailable');
    expect(fake.requests.length).toBe(before);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('does not count a refusal as an outage', async () => {
    const { name, fake, e } = await fresh();
    for (let i = 0; i < BREAKER_THRESHOLD + 1; i++) {
      const started = await start(e, name);
      const location = new URL(started.headers.get('location')!);
      const refused = await sendCallback(
        e,
        started,
        `/v1/oauth/${name}/callback?code=not-a-code&state=${location.searchParams.get('state')}`,
      );
      expect(landing(refused).searchParams.get('error')).toBe('unauthorized');
    }
    expect(count(fake, 'POST /token')).toBe(BREAKER_THRESHOLD + 1);
    expect(landing(await roundTrip(e, fake, name, user())).searchParams.get('login_code')).not.toBeNull();
  });
});
