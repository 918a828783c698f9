import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../core/backup/load';
import { BACKUP_FORMAT, MANIFEST_NAME, type Manifest } from '../core/backup/manifest';
import worker from '../worker/index';
import { backupNow, backupRow, drainAlarms, listKeys, readBytes, readManifest, readRows } from './backup-helpers';
import { call, signup } from './helpers';

const TICK = new Date('2026-10-20T03:17:00Z');

async function cronTick(scheduledTime = TICK): Promise<void> {
  const controller = createScheduledController({ scheduledTime, cron: '17 3 * * *' });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, env, ctx);
  await waitOnExecutionContext(ctx);
}

async function latestRun() {
  return env.DB.prepare('SELECT id, status, prefix FROM backups ORDER BY started_at DESC LIMIT 1').first<{
    id: string;
    status: string;
    prefix: string;
  }>();
}

/** The application's tables, straight from SQLite. */
async function applicationTables(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name <> 'd1_migrations'",
  ).all<{ name: string }>();
  return results.map((r) => r.name).sort();
}

describe('a scheduled backup export', () => {
  let manifest: Manifest;
  let runId: string;
  let statusBeforeAlarm: string | undefined;

  beforeAll(async () => {
    const ada = await signup({ name: 'Ada' });
    await signup({ name: 'Grace' });
    await call('/v1/me/mfa/totp', { method: 'POST', token: ada.access_token });
    await call('/v1/me/api-keys', { method: 'POST', token: ada.access_token, body: { name: 'ci', scopes: ['read'] } });
    await cronTick();
    const run = await latestRun();
    statusBeforeAlarm = run?.status;
    await drainAlarms();
    runId = run!.id;
    manifest = await readManifest(run!.prefix);
  });

  it('is started by the cron trigger and done by the maintenance alarm', async () => {
    expect(statusBeforeAlarm).toBe('running');
    expect(await backupRow(runId)).toMatchObject({ status: 'complete', error: null });
  });

  it('writes under backups/<timestamp>/ and describes the run in manifest.json', async () => {
    expect(manifest).toMatchObject({ format: BACKUP_FORMAT, id: runId });
    expect(manifest.prefix).toMatch(/^backups\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\/$/);
    expect(Date.parse(manifest.finished_at)).toBeGreaterThanOrEqual(Date.parse(manifest.started_at));
    expect(manifest.schema).toEqual({
      migration: '0005_user_exports_audit.sql',
      migrations: [
        '0000_init.sql',
        '0001_email_verified_at.sql',
        '0002_actor_exports.sql',
        '0003_oauth_scope.sql',
        '0004_outbox_dead.sql',
        '0005_user_exports_audit.sql',
      ],
    });
  });

  it('exports every application table and none of SQLite’s, D1’s or the migrations log', async () => {
    const names = manifest.tables.map((t) => t.name);
    expect([...names].sort()).toEqual(await applicationTables());
    expect(names).toEqual(expect.arrayContaining(['users', 'audit_log', 'api_keys', 'mfa_totp', 'backups']));
    expect(names).not.toEqual(expect.arrayContaining(['d1_migrations']));
    expect(names.some((n) => n.startsWith('_cf_') || n.startsWith('sqlite_'))).toBe(false);
  });

  it('lists tables in restore order: parents before the tables that reference them', () => {
    const position = (name: string) => manifest.tables.findIndex((t) => t.name === name);
    for (const table of manifest.tables) {
      for (const ref of table.references) expect(position(ref.table)).toBeLessThan(position(table.name));
    }
    expect(manifest.tables.find((t) => t.name === 'api_keys')?.references).toEqual([
      { table: 'users', from: ['user_id'], to: ['id'] },
    ]);
  });

  it('stores objects whose SHA-256 and row count match the manifest and D1', async () => {
    for (const table of manifest.tables) {
      const bytes = await readBytes(table.key);
      expect(bytes, table.key).not.toBeNull();
      expect(await sha256Hex(bytes!)).toBe(table.sha256);
      expect(bytes!.byteLength).toBe(table.bytes);
      const rows = await readRows(table.key);
      expect(rows.length).toBe(table.rows);
      if (table.name === 'backups') continue; // it changed since: this very run completed
      const count = await env.DB.prepare(`SELECT count(*) AS n FROM "${table.name}"`).first<{ n: number }>();
      expect(rows.length, table.name).toBe(count!.n);
    }
    expect(manifest.tables.find((t) => t.name === 'users')?.rows).toBe(2);
  });

  it('writes each row as one JSON object of its columns', async () => {
    const users = manifest.tables.find((t) => t.name === 'users')!;
    const rows = await readRows(users.key);
    expect(rows.map((r) => r.name).sort()).toEqual(['Ada', 'Grace']);
    expect(Object.keys(rows[0]!)).toEqual(users.columns);
    // A backup holds what the database holds, password hashes included.
    expect(rows[0]!.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('writes nothing under the prefix but the manifest and one object per table', async () => {
    const expected = [...manifest.tables.map((t) => t.key), `${manifest.prefix}${MANIFEST_NAME}`].sort();
    expect(await listKeys(manifest.prefix)).toEqual(expected);
  });

  it('records the run in D1 with the tables of the manifest', async () => {
    const row = await backupRow(runId);
    expect(row).toMatchObject({ prefix: manifest.prefix, started_at: Date.parse(manifest.started_at) });
    expect(row!.finished_at).toBe(Date.parse(manifest.finished_at));
    expect(JSON.parse(row!.tables as string)).toEqual(
      manifest.tables.map(({ name, rows, sha256, key }) => ({ name, rows, sha256, key })),
    );
  });

  it('starts one run for a cron tick delivered twice', async () => {
    const tick = new Date('2026-10-21T03:17:00Z');
    const before = await env.DB.prepare('SELECT count(*) AS n FROM backups').first<{ n: number }>();
    await cronTick(tick);
    await drainAlarms();
    await cronTick(tick);
    expect(await drainAlarms()).toBe(0);
    const after = await env.DB.prepare('SELECT count(*) AS n FROM backups').first<{ n: number }>();
    expect(after!.n).toBe(before!.n + 1);
  });
});

describe('backup logs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('never contain the data: no password hash, encrypted secret or key hash appears in a line', async () => {
    const user = await signup();
    await call('/v1/me/mfa/totp', { method: 'POST', token: user.access_token });
    const lines: string[] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    }
    await backupNow();
    const secrets = await env.DB.prepare(
      `SELECT password_hash AS v FROM users UNION ALL SELECT secret_enc FROM mfa_totp
       UNION ALL SELECT key_hash FROM api_keys UNION ALL SELECT email FROM users`,
    ).all<{ v: string | null }>();
    const values = secrets.results.map((r) => r.v).filter((v): v is string => Boolean(v));
    expect(values.length).toBeGreaterThan(3);
    const output = lines.join('\n');
    expect(output).toContain('backup complete');
    for (const value of values) expect(output).not.toContain(value);
  });
});
