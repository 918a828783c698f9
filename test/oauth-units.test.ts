import { afterEach, describe, expect, it, vi } from 'vitest';
import { afterFailure, BREAKER_OPEN_MS, BREAKER_THRESHOLD, CLOSED, isOpen, merge } from '../core/oauth/breaker';
import { providerFetch, settle } from '../core/oauth/http';
import { identityFromClaims } from '../core/oauth/identity';
import type { Provider } from '../core/oauth/provider';
import { withRetries } from '../core/oauth/retry';
import { refreshAccessToken } from '../core/oauth/tokens';
import { err, ok } from '../core/result';

describe('the provider circuit breaker', () => {
  it('opens after the threshold of failed runs in a row, for BREAKER_OPEN_MS', () => {
    let state = CLOSED;
    for (let i = 1; i < BREAKER_THRESHOLD; i++) {
      state = afterFailure(state, 1000);
      expect(isOpen(state, 1000)).toBe(false);
    }
    state = afterFailure(state, 1000);
    expect(isOpen(state, 1000)).toBe(true);
    expect(isOpen(state, 1000 + BREAKER_OPEN_MS)).toBe(false);
  });

  it('reopens at once when the half-open trial fails', () => {
    let state = CLOSED;
    for (let i = 0; i < BREAKER_THRESHOLD; i++) state = afterFailure(state, 0);
    const later = BREAKER_OPEN_MS + 1;
    expect(isOpen(state, later)).toBe(false);
    expect(isOpen(afterFailure(state, later), later)).toBe(true);
  });

  it('takes the more pessimistic of two views', () => {
    expect(merge({ failures: 1, openUntil: 50 }, { failures: 3, openUntil: 10 })).toEqual({
      failures: 3,
      openUntil: 50,
    });
  });
});

describe('identities from claims', () => {
  it('believes an email verified only when the provider says so', () => {
    const read = (claims: Record<string, unknown>) => {
      const result = identityFromClaims({ sub: 's', email: 'a@example.com', ...claims });
      if (!result.ok) throw new Error('refused');
      return result.value.emailVerified;
    };
    expect(read({ email_verified: true })).toBe(true);
    expect(read({ email_verified: 'true' })).toBe(true);
    expect(read({})).toBe(false);
    expect(read({ email_verified: 'yes' })).toBe(false);
    expect(read({ email_verified: false })).toBe(false);
  });

  it('takes a numeric id as the subject, and refuses claims without one', () => {
    expect(identityFromClaims({ id: 42, login: 'octo' })).toMatchObject({
      ok: true,
      value: { subject: '42', name: 'octo' },
    });
    expect(identityFromClaims({ email: 'a@example.com' }).ok).toBe(false);
  });

  it('drops an email that is not an address', () => {
    expect(identityFromClaims({ sub: 's', email: 'not an email', email_verified: true })).toMatchObject({
      ok: true,
      value: { email: null, emailVerified: false },
    });
  });
});

describe('calls to a provider', () => {
  afterEach(() => vi.restoreAllMocks());
  const plain: Provider = {
    name: 'plain',
    clientId: 'c',
    clientAuth: { method: 'client_secret_post', secret: 's' },
    issuer: null,
    identity: 'userinfo',
    scopes: [],
    authorizationEndpoint: 'https://p.test/authorize',
    tokenEndpoint: 'https://p.test/token',
    userinfoEndpoint: 'https://p.test/me',
    revocationEndpoint: null,
    userinfoFields: {},
    tokenExchange: null,
    jwksUri: null,
  };

  it('gives up on a provider that does not answer within the timeout', async () => {
    vi.spyOn(globalThis, 'fetch').mockImplementation(
      (_input, init) =>
        new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))),
    );
    expect(await settle(providerFetch(50)('https://slow.test/token', { method: 'POST' }))).toEqual({
      ok: false,
      error: { type: 'unavailable', status: null },
    });
  });

  it('sorts answers: 5xx and 429 are worth a retry, a 4xx or an OAuth error is a refusal', async () => {
    const answers = [
      new Response('down', { status: 502 }),
      new Response('slow down', { status: 429 }),
      Response.json({ error: 'invalid_grant' }, { status: 400 }),
      Response.json({ error: 'bad_verification_code' }),
    ];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => answers.shift()!);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await refreshAccessToken(plain, 'refresh-token'));
    expect(results.map((r) => (r.ok ? 'ok' : r.error.type))).toEqual([
      'unavailable',
      'unavailable',
      'rejected',
      'rejected',
    ]);
  });

  it('retries twice, only what is unavailable', async () => {
    let calls = 0;
    const flaky = async () => {
      calls += 1;
      return err({ type: 'unavailable' as const });
    };
    expect((await withRetries(flaky)).ok).toBe(false);
    expect(calls).toBe(3);
    calls = 0;
    const refusing = async () => {
      calls += 1;
      return err({ type: 'rejected' as const });
    };
    await withRetries(refusing);
    expect(calls).toBe(1);
    let attempt = 0;
    const recovering = async () => (++attempt < 2 ? err({ type: 'unavailable' as const }) : ok('tokens'));
    expect(await withRetries(recovering)).toEqual({ ok: true, value: 'tokens' });
  });
});
