import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../scripts/dev-server.ts';
import { type Sandbox, sandbox } from './sandbox.ts';

let box: Sandbox;
let npm: ChildProcess;
let base: string;
let port: number;
let output = '';

/** Every process below `pid`, from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name in parentheses may hold spaces; the parent id follows the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // Gone while listing.
    }
  }
  const found: number[] = [];
  const visit = (id: number) => {
    for (const child of children.get(id) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const commandOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');

beforeAll(async () => {
  box = sandbox();
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  for (const name of ['JWT_ISSUER', 'CORS_ORIGINS', 'OAUTH_REDIRECT_ALLOWLIST', 'RATE_LIMITS']) delete env[name];
  // Its own process group, so a failed test can still clean up everything it started.
  npm = spawn('npm', ['start'], { cwd: box.dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  npm.stdout?.on('data', collect);
  npm.stderr?.on('data', collect);
  const deadline = Date.now() + 80_000;
  while (
    (await fetch(`${base}/health`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    if (npm.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 90_000);

afterAll(() => {
  try {
    if (npm?.pid) process.kill(-npm.pid, 'SIGKILL');
  } catch {
    // Already gone, as it should be.
  }
  box?.remove();
});

it('follows PORT: issuer, own origins, and the loose development auth limit', async () => {
  const origin = `http://localhost:${port}`;
  const response = await fetch(`${base}/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ email: `start-${port}@example.com`, password: 'correct horse battery staple' }),
  });
  expect(response.status, output).toBe(201);
  expect(response.headers.get('access-control-allow-origin')).toBe(origin);
  expect(response.headers.get('x-ratelimit-limit')).toBe('50');
  const { access_token } = (await response.json()) as { access_token: string };
  expect(decodeJwt(access_token).iss).toBe(base);
});

it('stops wrangler and workerd when the npm process is killed', async () => {
  const pid = npm.pid!;
  const below = descendants(pid);
  expect(below.map(commandOf).join('\n')).toMatch(/workerd serve/);
  process.kill(pid, 'SIGTERM');
  await expect.poll(() => below.filter(alive), { timeout: 20_000, interval: 250 }).toEqual([]);
  await expect(fetch(`${base}/health`)).rejects.toThrow();
}, 30_000);
