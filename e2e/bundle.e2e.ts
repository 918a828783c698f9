import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'durable-backend-bundle-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

/** `wrangler deploy --dry-run` of one environment: what would be uploaded, without a network. */
function dryRun(environment: string | null) {
  const dir = join(out, environment ?? 'default');
  const args = ['deploy', '--dry-run', '--outdir', dir, ...(environment ? ['--env', environment] : [])];
  const result = spawnSync('wrangler', args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' },
  });
  return { ...result, dir, output: `${result.stdout}${result.stderr}` };
}

describe.each([null, 'staging', 'production'])('wrangler deploy --dry-run (env %s)', (environment) => {
  it('builds, with Swagger UI as static assets and not in the Worker bundle', () => {
    const build = dryRun(environment);
    expect(build.status, build.output).toBe(0);
    expect(build.output).toContain('[custom build] Running: node scripts/docs-assets.ts');
    expect(build.output).toMatch(/env\.ASSETS\s+Assets/);
    const modules = readdirSync(build.dir).filter((name) => !name.endsWith('.map') && name !== 'README.md');
    expect(modules).toEqual(['index.js']);
    expect(readFileSync(join(build.dir, 'index.js'), 'utf8')).not.toContain('SwaggerUIBundle');
  });
});
