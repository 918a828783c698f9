import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { redact } from '../core/log';
import { call, login, signup, uniqueEmail } from './helpers';

describe('logs never contain secrets', () => {
  let lines: string[] = [];
  beforeEach(() => {
    lines = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    }
  });
  afterEach(() => vi.restoreAllMocks());

  it('keeps passwords, tokens and the authorization header out of every line of a full session', async () => {
    const password = 'unique-canary-passphrase-1';
    const email = uniqueEmail('logcheck');
    const tokens = await signup({ email, password });
    await login(email, 'wrong-canary-passphrase-2');
    await call('/v1/me', { token: tokens.access_token, headers: { cookie: 'session=cookie-canary-3' } });
    await call('/v1/auth/refresh', { method: 'POST', body: { refresh_token: tokens.refresh_token } });
    await call('/v1/me/password', {
      method: 'POST',
      token: tokens.access_token,
      body: { current_password: password, new_password: 'new-canary-passphrase-4' },
    });
    const output = lines.join('\n');
    expect(lines.length).toBeGreaterThan(4);
    for (const secret of [
      password,
      'wrong-canary-passphrase-2',
      'cookie-canary-3',
      'new-canary-passphrase-4',
      tokens.access_token,
      tokens.refresh_token,
      tokens.refresh_token.split('.')[1]!,
    ]) {
      expect(output).not.toContain(secret);
    }
    expect(output.toLowerCase()).not.toContain('authorization');
    expect(output).not.toMatch(/"password"/);
  });

  it('redacts secret-named fields and bearer tokens inside strings', () => {
    const scrubbed = JSON.stringify(
      redact({
        password: 'p',
        nested: { refresh_token: 'r', authorization: 'Bearer abc', note: 'sent Bearer abc.def.ghi here' },
        jwt: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln',
        kept: 'visible',
      }),
    );
    expect(scrubbed).not.toMatch(/"p"|"r"|abc|eyJhbGci/);
    expect(scrubbed).toContain('visible');
  });
});
