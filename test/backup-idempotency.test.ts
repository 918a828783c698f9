import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../core/backup/load';
import type { MaintenanceObject } from '../objects/maintenance';
import { MAX_ATTEMPTS } from '../objects/maintenance/advance';
import { backupNow, backupRow, drainAlarms, listKeys, maintenance, readBytes, readManifest } from './backup-helpers';
import { signup } from './helpers';

/** Makes the actor's R2 `put` fail when `fails(callNumber)` says so; returns the call counter. */
async function breakPuts(fails: (call: number) => boolean): Promise<{ calls: number }> {
  const counter = { calls: 0 };
  await runInDurableObject(maintenance(), (instance: MaintenanceObject) => {
    const bucket = (instance as unknown as { env: Env }).env.BACKUPS;
    const put = bucket.put.bind(bucket);
    vi.spyOn(bucket, 'put').mockImplementation(async (...args: Parameters<R2Bucket['put']>) => {
      counter.calls += 1;
      if (fails(counter.calls)) throw new Error('R2 is down');
      return put(...args);
    });
  });
  return counter;
}

async function start(): Promise<string> {
  const result = await maintenance().startBackup({ trigger: 'manual' });
  if (!result.ok) throw new Error(result.error.type);
  return result.value.id;
}

const runCount = async () => (await env.DB.prepare('SELECT count(*) AS n FROM backups').first<{ n: number }>())!.n;

describe('backup runs under at-least-once alarms', () => {
  beforeEach(async () => {
    await signup();
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => vi.restoreAllMocks());

  it('answers the id of the run under way instead of starting a second one', async () => {
    const first = await maintenance().startBackup({ trigger: 'manual' });
    const second = await maintenance().startBackup({ trigger: 'manual' });
    expect(first).toMatchObject({ ok: true, value: { started: true } });
    expect(second).toEqual({ ok: true, value: { id: first.ok && first.value.id, started: false } });
    await drainAlarms();
  });

  it('re-arms a run whose alarm was lost when asked to start again, and finishes it', async () => {
    const id = await start();
    await runInDurableObject(maintenance(), (_instance, state) => state.storage.deleteAlarm());
    expect(await runDurableObjectAlarm(maintenance())).toBe(false);
    expect(await start()).toBe(id);
    expect(await drainAlarms()).toBeGreaterThan(0);
    expect(await backupRow(id)).toMatchObject({ status: 'complete' });
  });

  it('treats an alarm delivered again after the run finished as a no-op', async () => {
    const id = await backupNow();
    const row = await backupRow(id);
    const keys = await listKeys(row!.prefix as string);
    const etags = await Promise.all(keys.map(async (key) => (await env.BACKUPS.head(key))!.etag));
    const runs = await runCount();

    await runInDurableObject(maintenance(), (_instance, state) => state.storage.setAlarm(Date.now()));
    expect(await runDurableObjectAlarm(maintenance())).toBe(true);

    expect(await runCount()).toBe(runs);
    expect(await backupRow(id)).toEqual(row);
    expect(await listKeys(row!.prefix as string)).toEqual(keys);
    expect(await Promise.all(keys.map(async (key) => (await env.BACKUPS.head(key))!.etag))).toEqual(etags);
  });

  it('resumes a failed attempt after its last finished table, in the same run, exporting each table once', async () => {
    const runs = await runCount();
    await breakPuts((call) => call === 3);
    const id = await start();
    expect(await runDurableObjectAlarm(maintenance())).toBe(true);
    const partial = await backupRow(id);
    expect(partial).toMatchObject({ status: 'running' });
    expect(JSON.parse(partial!.tables as string)).toHaveLength(2);

    vi.restoreAllMocks();
    const retry = await breakPuts(() => false);
    await drainAlarms();

    const manifest = await readManifest(partial!.prefix as string);
    expect(retry.calls).toBe(manifest.tables.length - 2 + 1); // the rest, and the manifest
    expect(await backupRow(id)).toMatchObject({ status: 'complete' });
    expect(await runCount()).toBe(runs + 1);
    expect(new Set(manifest.tables.map((t) => t.name)).size).toBe(manifest.tables.length);
    for (const table of manifest.tables) expect(await sha256Hex((await readBytes(table.key))!)).toBe(table.sha256);
  });

  it(`marks the run failed after ${MAX_ATTEMPTS} failed attempts in a row, and the next run starts afresh`, async () => {
    await breakPuts(() => true);
    const id = await start();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      expect(await runDurableObjectAlarm(maintenance())).toBe(true);
    }
    expect(await runDurableObjectAlarm(maintenance())).toBe(false);
    const row = await backupRow(id);
    expect(row).toMatchObject({ status: 'failed', error: 'Error: R2 is down' });
    expect(row!.finished_at).toEqual(expect.any(Number));

    vi.restoreAllMocks();
    const next = await backupNow();
    expect(next).not.toBe(id);
    expect(await backupRow(next)).toMatchObject({ status: 'complete' });
    expect(await backupRow(id)).toMatchObject({ status: 'failed' });
  });
});
