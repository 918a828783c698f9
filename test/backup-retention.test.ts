import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { failRun, insertRun } from '../core/db/backups';
import { applyRetention, deletePrefix } from '../objects/maintenance/retention';
import { backupNow, backupRow, listKeys } from './backup-helpers';
import { signup } from './helpers';

const prefixOf = async (id: string) => (await backupRow(id))!.prefix as string;

/** A run row with one object, as an interrupted or failed run leaves it. */
async function fakeRun(id: string, startedAt: number, status: 'running' | 'failed'): Promise<string> {
  const prefix = `backups/fake-${id}/`;
  await insertRun(env.DB, { id, prefix, startedAt });
  if (status === 'failed') await failRun(env.DB, id, startedAt + 1, 'Error: test');
  await env.BACKUPS.put(`${prefix}users.ndjson.gz`, 'partial');
  return prefix;
}

describe('backup retention', () => {
  it('keeps the newest runs and deletes older ones, objects and rows', async () => {
    await signup();
    const ids = [await backupNow(), await backupNow(), await backupNow(), await backupNow()];
    const prefixes = await Promise.all(ids.map(prefixOf));
    const kept = await listKeys(prefixes[3]!);

    const deleted = await applyRetention(env.DB, env.BACKUPS, 2);

    expect(deleted.sort()).toEqual([ids[0], ids[1]].sort());
    for (const i of [0, 1]) {
      expect(await backupRow(ids[i]!)).toBeNull();
      expect(await listKeys(prefixes[i]!)).toEqual([]);
    }
    for (const i of [2, 3]) expect(await backupRow(ids[i]!)).toMatchObject({ status: 'complete' });
    expect(await listKeys(prefixes[3]!)).toEqual(kept);
    expect(kept.length).toBeGreaterThan(5);
  });

  it('keeps as many failed runs as complete ones, and never touches a running one', async () => {
    const base = Date.now() - 1_000_000;
    const running = await fakeRun('running-run', base - 10, 'running');
    const failed = [await fakeRun('failed-1', base, 'failed'), await fakeRun('failed-2', base + 1, 'failed')];
    await fakeRun('failed-3', base + 2, 'failed');

    const deleted = await applyRetention(env.DB, env.BACKUPS, 2);

    expect(deleted).toEqual(['failed-1']);
    expect(await listKeys(failed[0]!)).toEqual([]);
    expect(await listKeys(failed[1]!)).toHaveLength(1);
    expect(await backupRow('running-run')).toMatchObject({ status: 'running' });
    expect(await listKeys(running)).toHaveLength(1);
  });

  it('is applied after each run with BACKUP_RETENTION (7): the eighth run deletes the oldest', async () => {
    await env.DB.prepare("DELETE FROM backups WHERE status <> 'complete'").run();
    const before = (
      await env.DB.prepare("SELECT id FROM backups WHERE status = 'complete' ORDER BY started_at").all<{
        id: string;
      }>()
    ).results.map((r) => r.id);
    const ids = [...before];
    while (ids.length < 8) ids.push(await backupNow());
    const remaining = (
      await env.DB.prepare("SELECT id FROM backups WHERE status = 'complete' ORDER BY started_at").all<{
        id: string;
      }>()
    ).results.map((r) => r.id);
    expect(remaining).toEqual(ids.slice(-7));
  });

  it('deletes a prefix of more than one listing page', async () => {
    const prefix = 'backups/many-objects/';
    await Promise.all(Array.from({ length: 1005 }, (_, i) => env.BACKUPS.put(`${prefix}${i}`, 'x')));
    await deletePrefix(env.BACKUPS, prefix);
    expect(await listKeys(prefix)).toEqual([]);
  });

  it('refuses to delete anything that is not one run’s folder', async () => {
    await env.BACKUPS.put('elsewhere/keep', 'x');
    for (const prefix of ['', 'backups/', 'elsewhere/', 'backups/x', 'backups//']) {
      await expect(deletePrefix(env.BACKUPS, prefix)).rejects.toThrow('refusing');
    }
    expect(await listKeys('elsewhere/')).toEqual(['elsewhere/keep']);
  });
});

describe('the audit trail window', () => {
  it('prunes the legacy D1 audit_log in the nightly run: rows older than AUDIT_RETENTION_DAYS (400) go, newer ones stay', async () => {
    // Rows written to D1 before the trail moved into the actors; an actor takes its own over
    // the first time its trail is used, and until then the nightly run keeps them bounded.
    const user = await signup();
    const day = 86_400_000;
    const insert = 'INSERT INTO audit_log (id, user_id, type, created_at) VALUES (?1, ?2, ?3, ?4)';
    await env.DB.batch([
      env.DB.prepare(insert).bind('audit-old', user.user.id, 'login_succeeded', Date.now() - 401 * day),
      env.DB.prepare(insert).bind('audit-kept', user.user.id, 'login_succeeded', Date.now() - 399 * day),
    ]);
    await backupNow();
    const { results } = await env.DB.prepare("SELECT id FROM audit_log WHERE id LIKE 'audit-%' ORDER BY id").all();
    expect(results).toEqual([{ id: 'audit-kept' }]);
  });
});
