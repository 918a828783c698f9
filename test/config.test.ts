import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../core/config';

const base = (): Record<string, unknown> => ({ ...env });

function problems(overrides: Record<string, unknown>): string[] {
  try {
    parseConfig({ ...base(), ...overrides });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('parses the test environment with defaults filled in', () => {
    const config = parseConfig(base());
    expect(config.environment).toBe('test');
    expect(config.rateLimits.auth).toEqual({ limit: 5, window_s: 900 });
    expect(config.rateLimits.ws).toEqual({ limit: 50, window_s: 1 });
    expect(config.rateLimits.admin).toEqual({ limit: 10, window_s: 900 });
    expect(config.requestTimeoutMs).toBe(30_000);
    expect(config.jwt.signingKeys.length).toBeGreaterThanOrEqual(1);
  });

  it('names a missing signing key set', () => {
    expect(problems({ JWT_SIGNING_KEYS: undefined }).join()).toMatch(/^JWT_SIGNING_KEYS/);
  });

  it('refuses a malformed signing key set', () => {
    expect(problems({ JWT_SIGNING_KEYS: 'not json' }).join()).toMatch(/JWT_SIGNING_KEYS is not valid JSON/);
    expect(problems({ JWT_SIGNING_KEYS: '[]' }).join()).toMatch(/JWT_SIGNING_KEYS must hold at least one key/);
    expect(problems({ JWT_SIGNING_KEYS: '[{"kty":"RSA","kid":"a"}]' }).join()).toMatch(/JWT_SIGNING_KEYS/);
  });

  it('refuses a public key where a private signing key is needed', () => {
    const keys = JSON.parse(env.JWT_SIGNING_KEYS) as Record<string, string>[];
    const { d: _d, ...publicOnly } = keys[0]!;
    expect(problems({ JWT_SIGNING_KEYS: JSON.stringify([publicOnly]) }).join()).toMatch(/JWT_SIGNING_KEYS/);
  });

  const material = (seed: string) => btoa(seed.repeat(32).slice(0, 32)).replace(/=+$/, '').replace(/\+/g, '-');
  const ring = (...keys: { kid: string; key: string }[]) => JSON.stringify(keys);
  const dataKeyProblems = (value: unknown, single?: string) =>
    problems({ DATA_ENCRYPTION_KEYS: value, DATA_ENCRYPTION_KEY: single }).join();

  it('reads the data key ring in order: the first seals', () => {
    const keys = [
      { kid: 'new', key: material('a') },
      { kid: 'old', key: material('b') },
    ];
    expect(parseConfig({ ...base(), DATA_ENCRYPTION_KEYS: ring(...keys) }).dataKeys).toEqual(keys);
  });

  it('refuses a short or placeholder data key, naming it without its value', () => {
    const short = dataKeyProblems(ring({ kid: 'a', key: 'abc' }));
    expect(short).toMatch(/^DATA_ENCRYPTION_KEYS\[0\]\.key/);
    expect(short).not.toContain('abc');
    expect(dataKeyProblems(ring({ kid: 'a', key: 'x'.repeat(43) }))).toMatch(
      /DATA_ENCRYPTION_KEYS\[0\]\.key is a placeholder/,
    );
  });

  it('refuses a malformed data key ring', () => {
    expect(dataKeyProblems('not json')).toMatch(/^DATA_ENCRYPTION_KEYS is not valid JSON/);
    expect(dataKeyProblems('[]')).toMatch(/^DATA_ENCRYPTION_KEYS must hold at least one key/);
    expect(dataKeyProblems(JSON.stringify({ kid: 'a', key: material('a') }))).toMatch(
      /^DATA_ENCRYPTION_KEYS must be a JSON array/,
    );
    expect(dataKeyProblems(ring({ kid: 'has.dot', key: material('a') }))).toMatch(
      /^DATA_ENCRYPTION_KEYS\[0\]\.kid must be 1 to 32/,
    );
    expect(dataKeyProblems(JSON.stringify([{ kid: 'a', key: material('a'), extra: 1 }]))).toMatch(
      /^DATA_ENCRYPTION_KEYS\[0\]\.extra is not a known key/,
    );
  });

  it('refuses a repeated key id or repeated key material', () => {
    expect(dataKeyProblems(ring({ kid: 'a', key: material('a') }, { kid: 'a', key: material('b') }))).toBe(
      'DATA_ENCRYPTION_KEYS must not repeat a kid',
    );
    expect(dataKeyProblems(ring({ kid: 'a', key: material('a') }, { kid: 'b', key: material('a') }))).toBe(
      'DATA_ENCRYPTION_KEYS must not repeat a key',
    );
  });

  it('reads the deprecated single DATA_ENCRYPTION_KEY as the key legacy', () => {
    const config = parseConfig({ ...base(), DATA_ENCRYPTION_KEYS: undefined, DATA_ENCRYPTION_KEY: material('c') });
    expect(config.dataKeys).toEqual([{ kid: 'legacy', key: material('c') }]);
  });

  it('accepts both only while the ring holds the single key as legacy', () => {
    const single = material('c');
    expect(dataKeyProblems(ring({ kid: 'new', key: material('a') }), single)).toMatch(
      /^DATA_ENCRYPTION_KEYS must hold DATA_ENCRYPTION_KEY as kid "legacy"/,
    );
    expect(dataKeyProblems(ring({ kid: 'new', key: material('a') }, { kid: 'legacy', key: single }), single)).toBe('');
  });

  it('names a missing data key', () => {
    expect(dataKeyProblems(undefined)).toMatch(/^DATA_ENCRYPTION_KEYS is missing/);
  });

  it('refuses a short admin token but accepts none at all', () => {
    expect(problems({ ADMIN_TOKEN: 'short' }).join()).toMatch(/^ADMIN_TOKEN/);
    expect(parseConfig({ ...base(), ADMIN_TOKEN: '' }).adminToken).toBeNull();
  });

  it('refuses * CORS in production and allows it elsewhere', () => {
    expect(problems({ ENVIRONMENT: 'production', CORS_ORIGINS: '*' }).join()).toMatch(
      /CORS_ORIGINS must not be \* in production/,
    );
    expect(problems({ ENVIRONMENT: 'staging', CORS_ORIGINS: '*' }).join()).toMatch(/^CORS_ORIGINS/);
    expect(parseConfig({ ...base(), CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });

  it('refuses an origin list with paths or garbage', () => {
    expect(problems({ CORS_ORIGINS: 'https://a.example/path' }).join()).toMatch(/^CORS_ORIGINS/);
    expect(problems({ OAUTH_REDIRECT_ALLOWLIST: 'not a url' }).join()).toMatch(/^OAUTH_REDIRECT_ALLOWLIST/);
  });

  it('merges RATE_LIMITS over the defaults and refuses unknown buckets or bad numbers', () => {
    const config = parseConfig({ ...base(), RATE_LIMITS: '{"auth":{"limit":3,"window_s":60}}' });
    expect(config.rateLimits.auth).toEqual({ limit: 3, window_s: 60 });
    expect(config.rateLimits.api).toEqual({ limit: 600, window_s: 60 });
    expect(problems({ RATE_LIMITS: '{"bogus":{"limit":1,"window_s":1}}' }).join()).toMatch(/^RATE_LIMITS/);
    expect(problems({ RATE_LIMITS: '{"auth":{"limit":0,"window_s":1}}' }).join()).toMatch(/^RATE_LIMITS/);
  });

  it('reads EVENT_LOG_LIMITS over its defaults and AUDIT_RETENTION_DAYS, refusing bad values by name', () => {
    const defaults = parseConfig(base());
    expect(defaults.eventLogLimits).toEqual({ max_events: 1_000_000, max_bytes: 1024 ** 3, compact_after_days: 30 });
    expect(defaults.auditRetentionDays).toBe(400);
    const set = parseConfig({ ...base(), EVENT_LOG_LIMITS: '{"max_events":10,"compact_after_days":0}' });
    expect(set.eventLogLimits).toEqual({ max_events: 10, max_bytes: 1024 ** 3, compact_after_days: 0 });
    expect(problems({ EVENT_LOG_LIMITS: '{"max_bytes":6000000000}' })).toEqual([
      'EVENT_LOG_LIMITS.max_bytes must be at most 5368709120',
    ]);
    expect(problems({ EVENT_LOG_LIMITS: '{"max_events":"10"}' }).join()).toMatch(/^EVENT_LOG_LIMITS.max_events/);
    expect(problems({ EVENT_LOG_LIMITS: '{"bogus":1}' }).join()).toMatch(/^EVENT_LOG_LIMITS/);
    expect(problems({ EVENT_LOG_LIMITS: '[]' })).toEqual(['EVENT_LOG_LIMITS must be a JSON object']);
    expect(problems({ AUDIT_RETENTION_DAYS: '0' })).toEqual(['AUDIT_RETENTION_DAYS must be at least 1']);
  });

  it('refuses JSON variables of the wrong kind: an array or null where an object belongs', () => {
    for (const value of ['[]', '[{"limit":1,"window_s":1}]', 'null', '3']) {
      expect(problems({ RATE_LIMITS: value })).toEqual(['RATE_LIMITS must be a JSON object']);
    }
    expect(problems({ OAUTH_PROVIDERS: '[]' })).toEqual(['OAUTH_PROVIDERS must be a JSON object']);
  });

  it('refuses a non-numeric or out-of-range timeout', () => {
    expect(problems({ REQUEST_TIMEOUT_MS: 'soon' }).join()).toMatch(/^REQUEST_TIMEOUT_MS/);
    expect(problems({ REQUEST_TIMEOUT_MS: '10' }).join()).toMatch(/REQUEST_TIMEOUT_MS must be at least/);
  });

  it('names the path inside a JSON variable, without the value', () => {
    expect(problems({ RATE_LIMITS: '{"auth":{"limit":5,"window_s":0}}' })).toEqual([
      'RATE_LIMITS.auth.window_s must be an integer >= 1',
    ]);
    expect(problems({ RATE_LIMITS: '{"auth":{"limit":"lots","window_s":60}}' })).toEqual([
      'RATE_LIMITS.auth.limit must be an integer >= 1',
    ]);
    expect(problems({ RATE_LIMITS: '{"bogus":{"limit":1,"window_s":1}}' })).toEqual([
      'RATE_LIMITS.bogus is not a known key',
    ]);
    const provider = problems({
      OAUTH_PROVIDERS: '{"github":{"client_id":"","client_secret":"s3cr3t-v4lue","issuer":"nope"}}',
    });
    expect(provider).toEqual([
      'OAUTH_PROVIDERS.github.client_id must not be empty',
      'OAUTH_PROVIDERS.github.issuer must be a URL',
    ]);
    expect(provider.join()).not.toMatch(/s3cr3t|nope/);
  });

  it('names the key and the field of a bad signing key', () => {
    const keys = JSON.parse(env.JWT_SIGNING_KEYS) as Record<string, string>[];
    const weak = JSON.stringify([keys[0], { ...keys[0], kid: 'second', d: 'short' }]);
    expect(problems({ JWT_SIGNING_KEYS: weak })).toEqual(['JWT_SIGNING_KEYS[1].d must be a private key (d)']);
  });

  it('names the position of a bad origin in a comma list', () => {
    expect(problems({ CORS_ORIGINS: 'https://a.example, https://b.example/path' })).toEqual([
      'CORS_ORIGINS[1] must be an origin such as https://app.example.com, or *',
    ]);
  });

  it('never quotes a received value, even in messages it does not define', () => {
    const lines = problems({ ENVIRONMENT: 'prod-typo', APP_NAME: '', BACKUP_RETENTION: '5000' });
    expect(lines).toEqual([
      'ENVIRONMENT must be ("development" | "test" | "staging" | "production")',
      'BACKUP_RETENTION must be at most 1000',
      'APP_NAME must not be empty',
    ]);
    expect(lines.join()).not.toMatch(/prod-typo|5000|received/i);
  });

  it('refuses an unknown environment name', () => {
    expect(problems({ ENVIRONMENT: 'prod' }).join()).toMatch(/^ENVIRONMENT/);
  });
});
