/**
 * The restore drill with the real command: a backup made by a running Worker (D1 export and the
 * users' own log exports to R2), restored by `npm run restore` from its state directory into a
 * fresh one, then served again: users sign in, replay the same events and see the same audit trail.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutsOf, verifyUser } from '../core/backup/actor-restore.ts';
import { loadExport, type ObjectReader } from '../core/backup/load.ts';
import { startDevServer } from '../scripts/dev-server.ts';
import { backupBucket, localR2Reader } from '../scripts/restore/sources.ts';
import { root } from './sandbox.ts';

const PASSWORD = 'correct horse battery staple';
const dir = mkdtempSync(join(tmpdir(), 'durable-backend-restore-'));
const source = join(dir, 'source');
const target = join(dir, 'target');
const token = randomBytes(32).toString('base64url');

interface User {
  email: string;
  hash: string;
  count: number;
  audit: unknown[];
}
const users: User[] = [];
let prefix = '';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function api(base: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function replayHash(base: string, access: string): Promise<{ hash: string; count: number }> {
  const events: unknown[] = [];
  let after: number | null = 0;
  while (after !== null) {
    const page = await api(base, `/v1/events?after=${after}&limit=500`, { token: access });
    expect(page.status).toBe(200);
    events.push(...(page.body.events as unknown[]));
    after = page.body.next_after as number | null;
  }
  return { hash: createHash('sha256').update(JSON.stringify(events)).digest('hex'), count: events.length };
}

/** The user's audit trail, newest first (one page holds it). */
async function auditOf(base: string, access: string): Promise<unknown[]> {
  const page = await api(base, '/v1/me/audit?limit=100', { token: access });
  expect(page.status).toBe(200);
  return page.body.events as unknown[];
}

const restore = (args: string[]) =>
  spawnSync(process.execPath, ['scripts/restore.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 240_000 });

beforeAll(async () => {
  const server = await startDevServer(root, { ADMIN_TOKEN: token, ACTOR_EXPORT_DELAY_S: '1' }, { state: source });
  try {
    for (const [u, count] of [40, 15].entries()) {
      const email = `restore-${u}-${randomBytes(4).toString('hex')}@example.com`;
      const signup = await api(server.url, '/v1/auth/signup', { method: 'POST', body: { email, password: PASSWORD } });
      expect(signup.status).toBe(201);
      const access = signup.body.access_token as string;
      for (let n = 0; n < count; n++) {
        const body = { id: `e-${n}`, stream: 's', key: n % 2 ? `k${n % 5}` : undefined, payload: { n, u } };
        expect((await api(server.url, '/v1/events', { method: 'POST', token: access, body })).status).toBe(201);
      }
      users.push({ email, ...(await replayHash(server.url, access)), audit: await auditOf(server.url, access) });
    }
    // Each actor exports a second after its last append; then a backup covers both.
    for (let attempt = 0; attempt < 20; attempt++) {
      await sleep(1_000);
      const started = await api(server.url, '/v1/admin/backups', { method: 'POST', token });
      let run = started.body;
      for (let poll = 0; poll < 60 && run.status !== 'complete'; poll++) {
        await sleep(250);
        run = (await api(server.url, `/v1/admin/backups/${started.body.id}`, { token })).body;
      }
      if (run.users === 2 && run.events === 55) {
        prefix = run.prefix as string;
        break;
      }
    }
    expect(prefix).toMatch(/^backups\//);
  } finally {
    await server.stop();
  }
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run restore', () => {
  it('verifies without loading anything in a dry run', () => {
    const outcome = restore([prefix, '--source-state', source, '--target-state', target, '--dry-run']);
    expect(outcome.stderr).toBe('');
    expect(outcome.stdout).toMatch(/Verified: \d+ tables \(\d+ rows\), 2 users \(55 events, 2 audit entries\)\./);
    expect(outcome.status).toBe(0);
  });

  it('restores into a fresh state directory, where users sign in and replay the same events', async () => {
    const outcome = restore([prefix, '--source-state', source, '--target-state', target]);
    expect(outcome.status, outcome.stderr).toBe(0);
    expect(outcome.stdout).toMatch(/users loaded: 2\/2, 55 events/);
    expect(outcome.stdout).toMatch(
      /Restored backups\/.+ in \d+\.\d s: \d+ tables \(\d+ rows\), 2 users \(55 events, \d+ events\/s; 2 audit entries\)/,
    );
    const server = await startDevServer(root, {}, { state: target });
    try {
      for (const user of users) {
        const login = await api(server.url, '/v1/auth/login', {
          method: 'POST',
          body: { email: user.email, password: PASSWORD },
        });
        expect(login.status).toBe(200);
        const access = login.body.access_token as string;
        expect(await replayHash(server.url, access)).toEqual({ hash: user.hash, count: user.count });
        // The backup's trail, and the sign-in just made on top of it.
        const audit = (await auditOf(server.url, access)) as { type: string }[];
        expect(audit.slice(1)).toEqual(user.audit);
        expect(audit[0]!.type).toBe('login_succeeded');
      }
    } finally {
      await server.stop();
    }
  }, 240_000);

  it('refuses to restore over a target that holds users, unless told to replace them', () => {
    const outcome = restore([prefix, '--source-state', source, '--target-state', target]);
    expect(outcome.status).toBe(1);
    expect(outcome.stderr).toMatch(/already holds 2 users; .*--replace/);
  }, 240_000);

  it('reads the same backup from a directory with --from-dir (the run’s files, actors/ beside them)', async () => {
    const copy = join(dir, 'copy');
    const { read, close } = await localR2Reader(source, backupBucket()!);
    try {
      // Every object a restore reads, written where --from-dir looks for it.
      const tee: ObjectReader = async (key) => {
        const bytes = await read(key);
        if (bytes) {
          const path = join(copy, key.startsWith(prefix) ? key.slice(prefix.length) : key);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, bytes);
        }
        return bytes;
      };
      const loaded = await loadExport(prefix, tee);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
      for (const cut of cutsOf(loaded.value)) expect((await verifyUser(tee, cut)).ok).toBe(true);
    } finally {
      await close();
    }
    const outcome = restore([prefix, '--from-dir', copy, '--target-state', join(dir, 'unused'), '--dry-run']);
    expect(outcome.stdout).toMatch(/Verified: \d+ tables \(\d+ rows\), 2 users \(55 events, 2 audit entries\)\./);
    expect(outcome.status).toBe(0);
  });

  it('refuses a source without the run’s manifest, before loading anything', () => {
    const outcome = restore([
      prefix,
      '--source-state',
      source,
      '--target-state',
      join(dir, 'never'),
      '--from-dir',
      join(dir, 'empty'),
    ]);
    expect(outcome.status).toBe(1);
    expect(outcome.stderr).toMatch(/^restore: refusing to restore: .*manifest\.json does not exist/);
  });
});
