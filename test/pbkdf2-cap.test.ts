import { afterEach, describe, expect, it, vi } from 'vitest';
import { call, login, signup } from './helpers';

// workerd in production rejects PBKDF2 above 100,000 iterations; local workerd does not,
// so only a test can catch a scheme that would fail once deployed.
const CAP = 100_000;

const sources = import.meta.glob(['../worker/**/*.ts', '../objects/**/*.ts', '../core/**/*.ts', '../client/**/*.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

describe('PBKDF2 iteration cap', () => {
  afterEach(() => vi.restoreAllMocks());

  function installCapSpy(): number[] {
    const seen: number[] = [];
    const check = (algorithm: unknown) => {
      const params = algorithm as { name?: string; iterations?: number };
      if (typeof algorithm !== 'object' || params.name?.toUpperCase() !== 'PBKDF2') return;
      seen.push(params.iterations ?? 0);
      if ((params.iterations ?? 0) > CAP) throw new Error(`PBKDF2 with ${params.iterations} iterations`);
    };
    const deriveBits = crypto.subtle.deriveBits.bind(crypto.subtle);
    const deriveKey = crypto.subtle.deriveKey.bind(crypto.subtle);
    vi.spyOn(crypto.subtle, 'deriveBits').mockImplementation((algorithm, ...rest) => {
      check(algorithm);
      return deriveBits(algorithm, ...rest);
    });
    vi.spyOn(crypto.subtle, 'deriveKey').mockImplementation((algorithm, ...rest) => {
      check(algorithm);
      return deriveKey(algorithm, ...rest);
    });
    return seen;
  }

  const overCap = async () => {
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('pw'), 'PBKDF2', false, ['deriveBits']);
    return crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations: CAP + 1 },
      key,
      256,
    );
  };

  it('local workerd accepts more than 100,000 iterations, which is why this needs a test', async () => {
    await expect(overCap()).resolves.toBeInstanceOf(ArrayBuffer);
  });

  it('the guard refuses an over-cap call', async () => {
    const seen = installCapSpy();
    await expect(overCap()).rejects.toThrow(/PBKDF2 with 100001 iterations/);
    expect(seen).toEqual([CAP + 1]);
  });

  it('no PBKDF2 call made during a full account flow exceeds 100,000 iterations', async () => {
    installCapSpy();
    const tokens = await signup();
    expect((await login(tokens.email, tokens.password)).status).toBe(200);
    expect(
      (await call('/v1/auth/refresh', { method: 'POST', body: { refresh_token: tokens.refresh_token } })).status,
    ).toBe(200);
    expect((await call('/v1/me/export', { token: tokens.access_token })).status).toBe(200);
  });

  it('no source file asks for PBKDF2 with more than 100,000 iterations', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(10);
    for (const [file, text] of Object.entries(sources)) {
      if (!/PBKDF2/i.test(text)) continue;
      for (const match of text.matchAll(/iterations\s*:\s*([\d_]+)/g)) {
        expect(Number(match[1]!.replace(/_/g, '')), file).toBeLessThanOrEqual(CAP);
      }
    }
  });
});
