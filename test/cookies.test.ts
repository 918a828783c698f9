import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../worker/index';
import { BASE, call, expectError, freshIp, PASSWORD, uniqueEmail } from './helpers';

const ORIGIN = 'http://localhost:3000';

function cookiesOf(response: Response): Map<string, string> {
  const jar = new Map<string, string>();
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    const [name, value] = pair!.split('=');
    jar.set(name!, value ?? '');
  }
  return jar;
}

async function cookieSignup() {
  const response = await call('/v1/auth/signup?mode=cookie', {
    method: 'POST',
    body: { email: uniqueEmail(), password: PASSWORD },
  });
  expect(response.status).toBe(201);
  return { response, jar: cookiesOf(response) };
}

const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

describe('cookie mode', () => {
  it('sets __Host- httpOnly Secure SameSite=Lax cookies and keeps tokens out of the body', async () => {
    const { response } = await cookieSignup();
    const headers = response.headers.getSetCookie();
    expect(headers).toHaveLength(2);
    for (const header of headers) {
      expect(header).toMatch(/^__Host-(access|refresh)=/);
      expect(header).toContain('HttpOnly');
      expect(header).toContain('Secure');
      expect(header).toContain('SameSite=Lax');
      expect(header).toContain('Path=/');
      expect(header).not.toContain('Domain');
    }
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.access_token).toBeUndefined();
    expect(body.refresh_token).toBeUndefined();
    expect(body.token_type).toBe('Bearer');
  });

  it('authenticates safe requests with the access cookie', async () => {
    const { jar } = await cookieSignup();
    expect((await call('/v1/me', { headers: { cookie: cookieHeader(jar) } })).status).toBe(200);
  });

  it('refuses a cookie-authenticated unsafe request without an allowed Origin (CSRF)', async () => {
    const { jar } = await cookieSignup();
    const noOrigin = await call('/v1/me', {
      method: 'PATCH',
      body: { name: 'x' },
      headers: { cookie: cookieHeader(jar) },
    });
    await expectError(noOrigin, 403, 'forbidden');
    const evil = await call('/v1/me', {
      method: 'PATCH',
      body: { name: 'x' },
      headers: { cookie: cookieHeader(jar), origin: 'https://evil.example' },
    });
    await expectError(evil, 403, 'forbidden');
    const good = await call('/v1/me', {
      method: 'PATCH',
      body: { name: 'x' },
      headers: { cookie: cookieHeader(jar), origin: ORIGIN },
    });
    expect(good.status).toBe(200);
  });

  it('refreshes from the refresh cookie and rotates both cookies', async () => {
    const { jar } = await cookieSignup();
    const response = await call('/v1/auth/refresh?mode=cookie', {
      method: 'POST',
      body: {},
      headers: { cookie: cookieHeader(jar), origin: ORIGIN },
    });
    expect(response.status).toBe(200);
    const next = cookiesOf(response);
    expect(next.get('__Host-refresh')).not.toBe(jar.get('__Host-refresh'));
    expect((await call('/v1/me', { headers: { cookie: cookieHeader(next) } })).status).toBe(200);
  });

  it('refreshes from the cookie with no body at all, as a browser form or beacon would', async () => {
    const { jar } = await cookieSignup();
    const response = await call('/v1/auth/refresh?mode=cookie', {
      method: 'POST',
      headers: { cookie: cookieHeader(jar), origin: ORIGIN },
    });
    expect(response.status).toBe(200);
    expect(cookiesOf(response).get('__Host-refresh')).not.toBe(jar.get('__Host-refresh'));
  });

  it('refuses a cookie refresh from a foreign origin', async () => {
    const { jar } = await cookieSignup();
    const response = await call('/v1/auth/refresh?mode=cookie', {
      method: 'POST',
      body: {},
      headers: { cookie: cookieHeader(jar), origin: 'https://evil.example' },
    });
    await expectError(response, 403, 'forbidden');
  });

  it('logs out by revoking the session and clearing the cookies', async () => {
    const { jar } = await cookieSignup();
    const response = await call('/v1/auth/logout', {
      method: 'POST',
      headers: { cookie: cookieHeader(jar), origin: ORIGIN },
    });
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie().every((c) => c.includes('Max-Age=0'))).toBe(true);
    await expectError(await call('/v1/me', { headers: { cookie: cookieHeader(jar) } }), 401, 'unauthorized');
  });

  it('refuses an unknown mode', async () => {
    const response = await call('/v1/auth/signup?mode=jar', {
      method: 'POST',
      body: { email: uniqueEmail(), password: PASSWORD },
    });
    await expectError(response, 400, 'invalid_request');
  });
});

describe('CORS_ORIGINS=* (development only)', () => {
  const wildcard = { ...env, CORS_ORIGINS: '*' } as Env;
  const send = async (path: string, init: RequestInit & { headers: Record<string, string> }) => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${BASE}${path}`, { ...init, headers: { 'cf-connecting-ip': freshIp(), ...init.headers } }),
      wildcard,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  };

  it('opens reads to any origin without credentials', async () => {
    const response = await send('/health', { headers: { origin: 'https://anywhere.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('never makes an unlisted origin trusted for cookie-authenticated writes', async () => {
    const { jar } = await cookieSignup();
    const response = await send('/v1/me', {
      method: 'PATCH',
      body: JSON.stringify({ name: 'x' }),
      headers: { cookie: cookieHeader(jar), origin: 'https://evil.example', 'content-type': 'application/json' },
    });
    await expectError(response, 403, 'forbidden');
  });
});
