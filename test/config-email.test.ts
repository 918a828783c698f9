import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../core/config';

function problems(overrides: Record<string, unknown>): string[] {
  try {
    parseConfig({ ...env, ...overrides });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

const production = { ENVIRONMENT: 'production', APP_URL: 'https://app.example.com' };

describe('email and webhook configuration', () => {
  it('reads the test relay and the defaults', () => {
    const config = parseConfig({ ...env });
    expect(config.email.transport).toBe('webhook');
    expect(config.email.webhook?.url).toBe('https://mail.test/inbound');
    expect(config.email.notices).toContain('password_reset');
    expect(config.outboxMaxAttempts).toBe(8);
    expect(config.rateLimits.email).toEqual({ limit: 5, window_s: 3600 });
    expect(config.webhook).toBeNull();
  });

  it('refuses the log transport in production and staging (links must not reach shared logs)', () => {
    expect(problems({ ...production, EMAIL_TRANSPORT: 'log' })).toEqual([
      'EMAIL_TRANSPORT must not be log in production or staging',
    ]);
    expect(problems({ ENVIRONMENT: 'staging', APP_URL: 'https://s.example.com', EMAIL_TRANSPORT: 'log' })).toEqual([
      'EMAIL_TRANSPORT must not be log in production or staging',
    ]);
    expect(problems({ ENVIRONMENT: 'development', EMAIL_TRANSPORT: 'log' })).toEqual([]);
    expect(problems({ EMAIL_TRANSPORT: 'carrier-pigeon' }).join()).toMatch(/^EMAIL_TRANSPORT must be/);
  });

  it('names what the chosen transport lacks, never a value', () => {
    expect(problems({ EMAIL_TRANSPORT: 'webhook', EMAIL_WEBHOOK_URL: '', EMAIL_WEBHOOK_SECRET: '' })).toEqual([
      'EMAIL_WEBHOOK_URL is required by the chosen EMAIL_TRANSPORT',
      'EMAIL_WEBHOOK_SECRET is required by the chosen EMAIL_TRANSPORT',
    ]);
    expect(problems({ EMAIL_TRANSPORT: 'resend', EMAIL_FROM: '' })).toEqual([
      'EMAIL_FROM is required by the chosen EMAIL_TRANSPORT',
      'RESEND_API_KEY is required by the chosen EMAIL_TRANSPORT',
    ]);
    expect(problems({ EMAIL_TRANSPORT: 'cloudflare', EMAIL_FROM: 'noreply@example.com' })).toEqual([]);
    const weak = problems({ EMAIL_WEBHOOK_SECRET: 'whsec_tooshort' });
    expect(weak).toEqual(['EMAIL_WEBHOOK_SECRET must be whsec_ followed by base64 of 24 to 64 random bytes']);
    expect(weak.join()).not.toContain('tooshort');
  });

  it('refuses an APP_URL that cannot carry links, and http in production', () => {
    for (const bad of [
      '',
      'app.example.com',
      'https://app.example.com/?x=1',
      'https://u:p@app.example.com',
      'ftp://a.b',
    ]) {
      expect(problems({ APP_URL: bad }).join(), bad).toMatch(/^APP_URL/);
    }
    expect(problems({ ...production, APP_URL: 'http://app.example.com' })).toEqual([
      'APP_URL must be https in production and staging',
    ]);
    expect(parseConfig({ ...env, APP_URL: 'https://app.example.com/base/' }).appUrl).toBe(
      'https://app.example.com/base',
    );
  });

  it('reads EMAIL_NOTICES as all, none or a list, and names an unknown kind', () => {
    expect(parseConfig({ ...env, EMAIL_NOTICES: 'none' }).email.notices).toEqual([]);
    expect(parseConfig({ ...env, EMAIL_NOTICES: 'password_reset, new_sign_in' }).email.notices).toEqual([
      'password_reset',
      'new_sign_in',
    ]);
    expect(problems({ EMAIL_NOTICES: 'password_reset,lunch' }).join()).toMatch(/^EMAIL_NOTICES\[1\] must be all, none/);
  });

  it('needs WEBHOOK_URL and WEBHOOK_SECRET together', () => {
    expect(problems({ WEBHOOK_URL: 'https://hooks.example.com/in' })).toEqual([
      'WEBHOOK_SECRET must be set together with WEBHOOK_URL',
    ]);
    expect(problems({ OUTBOX_MAX_ATTEMPTS: '0' })).toEqual(['OUTBOX_MAX_ATTEMPTS must be at least 1']);
  });
});
