import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BackupOut } from '../core/schemas/admin';
import type { MaintenanceObject } from '../objects/maintenance';
import worker from '../worker/index';
import { drainAlarms, maintenance, readManifest } from './backup-helpers';
import { BASE, type CallOptions, call, expectError, signup } from './helpers';

const ROUTES = [
  ['POST', '/v1/admin/backups'],
  ['GET', '/v1/admin/backups'],
  ['GET', '/v1/admin/backups/some-id'],
] as const;

const admin = (path: string, options: CallOptions = {}) => call(path, { ...options, token: env.ADMIN_TOKEN });

async function startBackup(): Promise<string> {
  const response = await admin('/v1/admin/backups', { method: 'POST' });
  expect(response.status).toBe(202);
  const { id } = (await response.json()) as { id: string };
  return id;
}

async function detail(id: string): Promise<BackupOut> {
  const response = await admin(`/v1/admin/backups/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as BackupOut;
}

describe('operator endpoints: access', () => {
  it('refuse a request without a token (401)', async () => {
    for (const [method, path] of ROUTES) await expectError(await call(path, { method }), 401, 'unauthorized');
  });

  it('refuse a wrong token and a user’s own access token (401)', async () => {
    const user = await signup();
    for (const [method, path] of ROUTES) {
      await expectError(await call(path, { method, token: `${env.ADMIN_TOKEN}x` }), 401, 'unauthorized');
      await expectError(await call(path, { method, token: user.access_token }), 401, 'unauthorized');
    }
  });

  it('do not exist when ADMIN_TOKEN is unset (404), whatever the request carries', async () => {
    for (const [method, path] of ROUTES) {
      const ctx = createExecutionContext();
      const request = new Request(`${BASE}${path}`, {
        method,
        headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, 'cf-connecting-ip': '203.0.113.9' },
      });
      const response = await worker.fetch(request, { ...env, ADMIN_TOKEN: '' } as Env, ctx);
      await waitOnExecutionContext(ctx);
      await expectError(response, 404, 'not_found');
    }
  });
});

describe('operator endpoints: backups', () => {
  afterEach(() => vi.restoreAllMocks());

  it('start an export (202 with its id) that the detail follows from running to complete', async () => {
    await signup();
    const id = await startBackup();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const running = await detail(id);
    expect(running).toMatchObject({ id, status: 'running', finished_at: null, tables: [], users: null, events: null });
    expect(running.prefix).toMatch(/^backups\/.+\/$/);

    await drainAlarms();

    const done = await detail(id);
    const manifest = await readManifest(done.prefix);
    expect(done).toEqual({
      id,
      status: 'complete',
      prefix: manifest.prefix,
      started_at: manifest.started_at,
      finished_at: manifest.finished_at,
      tables: manifest.tables.map(({ name, rows, sha256, key }) => ({ name, rows, sha256, key })),
      users: manifest.actors!.users,
      events: manifest.actors!.events,
    });
  });

  it('answer a second POST during a run with the id of the run under way', async () => {
    const first = await startBackup();
    expect(await startBackup()).toBe(first);
    await drainAlarms();
    expect(await startBackup()).not.toBe(first);
    await drainAlarms();
  });

  it('list runs newest first, `limit` at a time', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      ids.push(await startBackup());
      await drainAlarms();
    }
    const response = await admin('/v1/admin/backups?limit=2');
    expect(response.status).toBe(200);
    const { backups } = (await response.json()) as { backups: BackupOut[] };
    expect(backups.map((b) => b.id)).toEqual([ids[2], ids[1]]);
    expect(backups.every((b) => b.status === 'complete' && b.tables.length > 0)).toBe(true);
    const all = (await (await admin('/v1/admin/backups')).json()) as { backups: BackupOut[] };
    const starts = all.backups.map((b) => Date.parse(b.started_at));
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
  });

  it('answer 404 for an unknown id and 400 for a malformed id or limit', async () => {
    await expectError(await admin('/v1/admin/backups/AAAAAAAAAAAAAAAAAAAAAA'), 404, 'not_found');
    await expectError(await admin('/v1/admin/backups/bad%20id!'), 400, 'invalid_request');
    await expectError(await admin(`/v1/admin/backups/${'a'.repeat(65)}`), 400, 'invalid_request');
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'other=1']) {
      await expectError(await admin(`/v1/admin/backups?${query}`), 400, 'invalid_request');
    }
  });

  it('answer 503 when the run cannot be recorded in D1, and start normally once it can', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await runInDurableObject(maintenance(), (instance: MaintenanceObject) => {
      const db = (instance as unknown as { env: Env }).env.DB;
      vi.spyOn(db, 'prepare').mockImplementation(() => {
        throw new Error('D1 is down');
      });
    });
    await expectError(await admin('/v1/admin/backups', { method: 'POST' }), 503, 'upstream_unavailable');
    expect(await drainAlarms()).toBe(0);
    vi.restoreAllMocks();
    await startBackup();
    expect(await drainAlarms()).toBeGreaterThan(0);
  });

  it('keep the operator token out of every log line', async () => {
    const lines: string[] = [];
    for (const method of ['log', 'info', 'warn', 'error'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    }
    await startBackup();
    await drainAlarms();
    await admin('/v1/admin/backups');
    await call('/v1/admin/backups', { token: 'wrong-operator-token-canary' });
    const output = lines.join('\n');
    expect(output).toContain('/v1/admin/backups');
    expect(output).not.toContain(env.ADMIN_TOKEN);
    expect(output).not.toContain('wrong-operator-token-canary');
  });
});
