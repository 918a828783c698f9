import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Outcome, runScript, type Sandbox, sandbox } from './sandbox.ts';

const SCRIPTS = [
  'scripts/dev.ts',
  'scripts/secrets.ts',
  'scripts/totp.ts',
  'scripts/restore.ts',
  'scripts/docs-assets.ts',
  'scripts/client-generate.ts',
  'bench/auth.ts',
  'bench/realtime.ts',
  'bench/backup.ts',
];

let box: Sandbox;
const run = (script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) => runScript(box.dir, script, args, env);

beforeAll(() => {
  box = sandbox();
});

afterAll(() => box?.remove());

/** A refusal: exit code 2, nothing on stdout, one line on stderr and no stack trace. */
function expectOneLine(outcome: Outcome, pattern: RegExp): void {
  expect(outcome.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(outcome.stderr.trimEnd()).toMatch(pattern);
  expect(outcome.stdout).toBe('');
  expect(outcome.status).toBe(2);
}

describe('--help', () => {
  it.each(SCRIPTS)('%s prints its usage and does nothing else', (script) => {
    const outcome = run(script, ['--help']);
    expect(outcome.stdout).toMatch(/^Usage: npm /);
    expect(outcome.stderr).toBe('');
    expect(outcome.status).toBe(0);
  });

  it('secrets --help prints no key', () => {
    expect(run('scripts/secrets.ts', ['--help']).stdout).not.toMatch(/"d"|JWT_SIGNING_KEYS"/);
  });
});

describe('bad arguments fail with one line', () => {
  it.each(SCRIPTS)('%s refuses an unknown option', (script) => {
    expectOneLine(run(script, ['--bogus']), /^[\w: ]+: Unknown option '--bogus' \(see --help\)$/);
  });

  it('totp needs a secret and refuses one that is not base32, without echoing it', () => {
    expectOneLine(run('scripts/totp.ts'), /^totp: needs 1 argument/);
    const bad = run('scripts/totp.ts', ['not-base32-but-quite-long-enough!']);
    expectOneLine(bad, /^totp: the secret must be 26 to 103 base32 characters/);
    expect(bad.stderr).not.toContain('not-base32');
    expectOneLine(run('scripts/totp.ts', ['JBSWY3DPEHPK3PXPJBSWY3DPEH']), /^totp: the secret is not valid base32$/);
  });

  it('totp prints the six-digit code of a good secret', () => {
    const outcome = run('scripts/totp.ts', ['JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP']);
    expect(outcome.stdout).toMatch(/^\d{6}\n$/);
    expect(outcome.status).toBe(0);
  });

  it('secrets takes no arguments', () => {
    expectOneLine(run('scripts/secrets.ts', ['extra']), /^secrets: takes no arguments/);
  });

  it('restore names what is wrong with its prefix and options', () => {
    expectOneLine(run('scripts/restore.ts'), /^restore: needs 1 argument/);
    expectOneLine(run('scripts/restore.ts', ['../etc']), /^restore: the prefix must name one backup run/);
    expectOneLine(run('scripts/restore.ts', ['2026-01-01', '--remote']), /^restore: .*add --yes$/);
    expectOneLine(run('scripts/restore.ts', ['2026-01-01', '--database']), /^restore: Option '--database <value>'/);
  });

  it('benchmarks refuse a bad --seconds or BENCH_SECONDS before starting a server', () => {
    const outcome = run('bench/auth.ts', ['--seconds', '0']);
    expectOneLine(outcome, /^bench:auth: --seconds must be an integer from 1 to 600$/);
    expectOneLine(run('bench/realtime.ts', [], { BENCH_SECONDS: 'soon' }), /^bench:realtime: BENCH_SECONDS must be/);
  });

  it('npm start refuses a bad PORT and stray arguments', () => {
    expectOneLine(run('scripts/dev.ts', [], { PORT: '99999' }), /^npm start: PORT must be an integer from 1 to 65535$/);
    expectOneLine(run('scripts/dev.ts', ['--port=1']), /^npm start: Unknown option '--port'/);
    expectOneLine(run('scripts/dev.ts', ['now']), /^npm start: takes no arguments/);
  });
});

describe('npm start checks the configuration before wrangler starts', () => {
  it('names the variable and the path inside it, in one block', () => {
    const outcome = run('scripts/dev.ts', [], { PORT: '8787', RATE_LIMITS: '{"auth":{"limit":5,"window_s":0}}' });
    expect(outcome.status).toBe(1);
    expect(outcome.stderr).toContain(
      'npm start: the configuration is not valid, so wrangler was not started:\n' +
        '  RATE_LIMITS.auth.window_s must be an integer >= 1\n',
    );
    expect(outcome.stderr).not.toMatch(/migrations|wrangler:|⛅️|\n\s+at /);
  });

  it('refuses a secret that is empty in the environment instead of taking .env’s', () => {
    const outcome = run('scripts/dev.ts', [], { PORT: '8787', DATA_ENCRYPTION_KEYS: '' });
    expect(outcome.status).toBe(1);
    expect(outcome.stderr).toMatch(/^ {2}DATA_ENCRYPTION_KEYS is empty in the environment, .*\.env/m);
  });

  it('keeps the data key of a .env from the single-key era, as the ring’s legacy key', () => {
    const own = sandbox();
    try {
      const legacy = randomBytes(32).toString('base64url');
      writeFileSync(join(own.dir, '.env'), `DATA_ENCRYPTION_KEY='${legacy}'\n`);
      // A bad admin token stops it at the configuration check, after .env is written.
      const outcome = runScript(own.dir, 'scripts/dev.ts', [], { PORT: '8787', ADMIN_TOKEN: 'hunter2-is-short' });
      expect(outcome.status).toBe(1);
      expect(outcome.stderr).toMatch(/^ {2}ADMIN_TOKEN must be at least 32 characters$/m);
      expect(outcome.stderr).not.toMatch(/^ {2}DATA_ENCRYPTION/m);
      const written = readFileSync(join(own.dir, '.env'), 'utf8');
      expect(written).toContain(`DATA_ENCRYPTION_KEYS='[{"kid":"legacy","key":"${legacy}"}]'`);
    } finally {
      own.remove();
    }
  });

  it('names a bad value given in the environment without printing it', () => {
    const outcome = run('scripts/dev.ts', [], { PORT: '8787', ADMIN_TOKEN: 'hunter2-is-short' });
    expect(outcome.status).toBe(1);
    expect(outcome.stderr).toMatch(/^ {2}ADMIN_TOKEN must be at least 32 characters$/m);
    expect(outcome.stderr).not.toContain('hunter2');
  });
});
