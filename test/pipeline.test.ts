import { describe, expect, it, vi } from 'vitest';
import { call, expectError } from './helpers';

describe('request pipeline', () => {
  it('echoes a valid incoming x-request-id', async () => {
    const response = await call('/health', { headers: { 'x-request-id': 'client-req-12345' } });
    expect(response.headers.get('x-request-id')).toBe('client-req-12345');
  });

  it('replaces an invalid x-request-id with a new one', async () => {
    const response = await call('/health', { headers: { 'x-request-id': 'bad id with spaces <script>' } });
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('echoes a valid W3C traceparent and drops an invalid one', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect((await call('/health', { headers: { traceparent } })).headers.get('traceparent')).toBe(traceparent);
    for (const bad of [
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7',
      'x'.repeat(60),
    ]) {
      expect((await call('/health', { headers: { traceparent: bad } })).headers.get('traceparent')).toBeNull();
    }
  });

  it('gives every response its own request id', async () => {
    const [a, b] = await Promise.all([call('/health'), call('/health')]);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('answers an unknown path with 404 in the error shape', async () => {
    const response = await call('/v1/nothing-here');
    const body = await expectError(response, 404, 'not_found');
    expect(body.error.details).toEqual([]);
  });

  it('answers an unknown method on a known path with 404 in the error shape', async () => {
    await expectError(await call('/health', { method: 'DELETE' }), 404, 'not_found');
  });

  it('sets the security headers on every response, errors included', async () => {
    for (const response of [await call('/health'), await call('/missing')]) {
      expect(response.headers.get('strict-transport-security')).toContain('max-age=');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
  });
});

describe('CORS', () => {
  const allowed = 'http://localhost:3000';

  it('allows a listed origin', async () => {
    const response = await call('/health', { headers: { origin: allowed } });
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-expose-headers')).toContain('x-request-id');
    expect(response.headers.get('vary')).toContain('origin');
  });

  it('gives an unlisted origin no access-control-allow-origin', async () => {
    const response = await call('/health', { headers: { origin: 'https://evil.example' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a preflight from a listed origin with 204 and the allowed methods', async () => {
    const response = await call('/v1/auth/login', {
      method: 'OPTIONS',
      headers: {
        origin: allowed,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('answers a preflight from an unlisted origin with 204 and no permission', async () => {
    const response = await call('/v1/auth/login', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-methods')).toBeNull();
  });
});

describe('request log', () => {
  it('writes one JSON line per request with the contract fields', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      await call('/health', {
        headers: {
          'x-request-id': 'log-line-test-1',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        },
      });
    } finally {
      spy.mockRestore();
    }
    const entries = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((e) => e.request_id === 'log-line-test-1');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      method: 'GET',
      route: '/health',
      status: 200,
      user_id: null,
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    expect(typeof entries[0]!.duration_ms).toBe('number');
  });
});
