import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from '../worker/index';
import { BASE, expectError } from './helpers';
import { SENTRY_DSN, sentryIntake } from './sentry-intake';

const brokenDb = (message: string) =>
  ({
    prepare() {
      throw new Error(message);
    },
  }) as unknown as D1Database;

/** A D1 binding on which every query stays pending, whichever way the query layer calls it. */
function hangingDb(): D1Database {
  const never = () => new Promise<never>(() => {});
  const statement = { first: never, all: never, run: never, raw: never } as unknown as D1PreparedStatement;
  Object.assign(statement, { bind: () => statement });
  const db = { prepare: () => statement, batch: never, exec: never, dump: never } as unknown as D1Database;
  return Object.assign(db, { withSession: () => db });
}

async function send(path: string, overrides: Record<string, unknown>, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const headers = new Headers(init.headers);
  headers.set('cf-connecting-ip', `203.0.113.${Math.floor(Math.random() * 200) + 1}`);
  if (init.body) headers.set('content-type', 'application/json');
  const response = await worker.fetch(
    new Request(`${BASE}${path}`, { ...init, headers }),
    { ...env, ...overrides } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe('unexpected failures', () => {
  afterEach(() => vi.restoreAllMocks());

  it('answers 500 internal without the error’s message, stack or SQL', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = await send(
      '/v1/auth/login',
      { DB: brokenDb('D1_ERROR: near "SELECT password_hash FROM users": syntax error') },
      { method: 'POST', body: JSON.stringify({ email: 'a@example.com', password: 'whatever-password' }) },
    );
    const body = await expectError(response, 500, 'internal');
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/SELECT|D1_ERROR|syntax|stack|\.ts:/);
  });

  it('logs the full error for the operator', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    await send(
      '/v1/auth/login',
      { DB: brokenDb('D1_ERROR: disk full') },
      { method: 'POST', body: JSON.stringify({ email: 'a@example.com', password: 'whatever-password' }) },
    );
    const entry = errors
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e.message === 'request failed');
    expect(entry).toMatchObject({ status: 500, route: '/v1/auth/login', error_message: 'D1_ERROR: disk full' });
  });

  it('answers 504 timeout when a dependency hangs past REQUEST_TIMEOUT_MS', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = await send(
      '/v1/auth/login',
      { DB: hangingDb(), REQUEST_TIMEOUT_MS: '200' },
      { method: 'POST', body: JSON.stringify({ email: 'a@example.com', password: 'whatever-password' }) },
    );
    await expectError(response, 504, 'timeout');
  });

  it('reports to Sentry with request and user ids, and without bodies, cookies or auth headers', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const envelopes = sentryIntake();
    const response = await send(
      '/v1/auth/login',
      { DB: brokenDb('boom'), SENTRY_DSN },
      {
        method: 'POST',
        body: JSON.stringify({ email: 'a@example.com', password: 'sentry-canary-password' }),
        headers: {
          authorization: 'Bearer sentry-canary-token',
          cookie: 'a=sentry-canary-cookie',
          'x-request-id': 'sentry-req-0001',
        },
      },
    );
    expect(response.status).toBe(500);
    expect(envelopes.length).toBeGreaterThan(0);
    const sent = envelopes.join('\n');
    expect(sent).toContain('sentry-req-0001');
    expect(sent).toContain('boom');
    expect(sent).not.toMatch(/sentry-canary-(password|token|cookie)/);
  });
});
