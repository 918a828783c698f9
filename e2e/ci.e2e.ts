import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unstable_readConfig } from 'wrangler';
import { parse } from 'yaml';
import { root } from './sandbox.ts';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  steps: Step[];
  environment?: { name: string };
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');
const workflow = (name: string) => parse(read(`.github/workflows/${name}`)) as Workflow;
const runs = (job: Job) => job.steps.flatMap((step) => (step.run ? [step.run.trim()] : []));
const wranglerSteps = (job: Job) => job.steps.filter((step) => step.uses?.startsWith('cloudflare/wrangler-action@'));
const ENVIRONMENTS = ['staging', 'production'];
/** A GitHub Actions expression, as written in a workflow. */
const gh = (expression: string) => `\${{ ${expression} }}`;

describe('GitHub workflows', () => {
  it('are valid YAML, each with jobs made of steps', () => {
    const files = readdirSync(`${root}.github/workflows`);
    expect(files.sort()).toEqual(['deploy.yml', 'test.yml']);
    for (const file of files) {
      const parsed = workflow(file);
      expect(Object.keys(parsed.jobs).length, file).toBeGreaterThan(0);
      for (const job of Object.values(parsed.jobs)) expect(job.steps.length, file).toBeGreaterThan(0);
    }
  });

  it('test runs the README test command on pushes and pull requests, and audits runtime packages', () => {
    const test = workflow('test.yml');
    expect(Object.keys(test.on).sort()).toEqual(['pull_request', 'push']);
    expect(read('README.md')).toContain('npm ci && npm test');
    const commands = runs(test.jobs.test!);
    expect(commands.indexOf('npm ci')).toBeGreaterThanOrEqual(0);
    expect(commands.indexOf('npm test')).toBeGreaterThan(commands.indexOf('npm ci'));
    expect(runs(test.jobs.audit!)).toContain('npm audit --omit=dev');
  });

  it('deploy tests first, then migrates, deploys, smoke-tests and rolls back on failure, with wrangler-action', () => {
    const deploy = workflow('deploy.yml');
    const job = deploy.jobs.deploy!;
    expect(job.needs).toBe('test');
    expect(runs(deploy.jobs.test!)).toEqual(['npm ci', 'npm test']);
    const names = job.steps.map((step) => step.name ?? step.uses ?? step.run);
    const order = ['Remember the live version', 'Apply D1 migrations', 'Deploy', 'Smoke test /health/ready'];
    const positions = order.map((name) => names.indexOf(name));
    expect(Math.min(...positions)).toBeGreaterThanOrEqual(0);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const [migrate, ship, rollback] = wranglerSteps(job);
    expect(migrate?.with?.command).toBe(`d1 migrations apply DB --remote --env ${gh('env.TARGET')}`);
    expect(ship?.with?.command).toMatch(/^deploy --env \$\{\{ env.TARGET \}\} --var BUILD_ID:/);
    expect(rollback?.with?.command).toMatch(/^rollback \$\{\{ steps.previous.outputs.version_id \}\} --env /);
    expect(rollback?.if).toContain('failure()');
    for (const step of wranglerSteps(job)) {
      expect(step.uses).toBe('cloudflare/wrangler-action@v3');
      expect(step.with).toMatchObject({
        apiToken: gh('secrets.CLOUDFLARE_API_TOKEN'),
        accountId: gh('secrets.CLOUDFLARE_ACCOUNT_ID'),
      });
    }
    expect(job.steps.find((step) => step.name === 'Smoke test /health/ready')?.run).toContain('$API_URL/health/ready');
  });

  it('deploys only to environments that wrangler.toml defines, each with its own database and bucket', () => {
    const text = read('.github/workflows/deploy.yml');
    for (const name of ENVIRONMENTS) expect(text).toContain(`'${name}'`);
    const configs = ENVIRONMENTS.map((env) => unstable_readConfig({ config: `${root}wrangler.toml`, env }));
    for (const [index, config] of configs.entries()) {
      expect(config.vars.ENVIRONMENT).toBe(ENVIRONMENTS[index]);
      expect(config.durable_objects.bindings.map((binding: { name: string }) => binding.name).sort()).toEqual(
        ['DEVICE', 'LIMITER', 'MAINTENANCE', 'OAUTH_STATE', 'USER'].sort(),
      );
      expect(config.assets?.binding).toBe('ASSETS');
    }
    const databases = configs.map((config) => config.d1_databases[0]?.database_name);
    const buckets = configs.map((config) => config.r2_buckets[0]?.bucket_name);
    expect(new Set(databases).size).toBe(2);
    expect(new Set(buckets).size).toBe(2);
  });

  it('documents every secret the workflows use', () => {
    const readme = read('README.md');
    const used = new Set(
      readdirSync(`${root}.github/workflows`).flatMap((file) =>
        [...read(`.github/workflows/${file}`).matchAll(/secrets\.([A-Z_]+)/g)].map((match) => match[1]!),
      ),
    );
    expect([...used].sort()).toEqual(['CLOUDFLARE_ACCOUNT_ID', 'CLOUDFLARE_API_TOKEN']);
    for (const secret of used) expect(readme).toContain(`\`${secret}\``);
  });
});

describe('repository', () => {
  it('has Dependabot for npm and a LICENSE that package.json names', () => {
    const dependabot = parse(read('.github/dependabot.yml')) as { updates: { 'package-ecosystem': string }[] };
    expect(dependabot.updates.map((update) => update['package-ecosystem'])).toContain('npm');
    const license = (JSON.parse(read('package.json')) as { license?: string }).license;
    expect(license).toBe('MIT');
    expect(read('LICENSE')).toMatch(/^MIT License/);
  });
});
