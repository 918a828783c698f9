/** Test helpers for backups: drive the maintenance actor's alarm, read what it wrote to R2. */
import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { MANIFEST_NAME, type Manifest } from '../core/backup/manifest';
import { gunzip, type Row } from '../core/backup/ndjson';
import { MAINTENANCE_NAME } from '../objects/maintenance/api';

export const maintenance = () => env.MAINTENANCE.getByName(MAINTENANCE_NAME);

/** Runs the actor's alarms until none is left; returns how many ran. */
export async function drainAlarms(limit = 50): Promise<number> {
  let ran = 0;
  while (await runDurableObjectAlarm(maintenance())) {
    ran += 1;
    if (ran >= limit) throw new Error('the maintenance alarm keeps rescheduling itself');
  }
  return ran;
}

/** Starts a manual run and runs it to the end; returns its id. */
export async function backupNow(): Promise<string> {
  const started = await maintenance().startBackup({ trigger: 'manual' });
  if (!started.ok) throw new Error(`backup did not start: ${started.error.type}`);
  await drainAlarms();
  return started.value.id;
}

export async function readBytes(key: string): Promise<Uint8Array | null> {
  const object = await env.BACKUPS.get(key);
  return object ? new Uint8Array(await object.arrayBuffer()) : null;
}

export async function readManifest(prefix: string): Promise<Manifest> {
  const bytes = await readBytes(`${prefix}${MANIFEST_NAME}`);
  if (!bytes) throw new Error(`no manifest under ${prefix}`);
  return JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
}

/** Gunzips an NDJSON object with DecompressionStream and parses its lines. */
export async function readRows(key: string): Promise<Row[]> {
  const bytes = await readBytes(key);
  if (!bytes) throw new Error(`no object ${key}`);
  const text = new TextDecoder().decode(await gunzip(bytes));
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Row);
}

export async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.BACKUPS.list({ prefix, cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys.sort();
}

export async function backupRow(id: string) {
  return env.DB.prepare('SELECT * FROM backups WHERE id = ?1').bind(id).first<Record<string, unknown>>();
}

/** Every row of a table as SQL literals (`quote()`), sorted: an exact picture for comparisons. */
export async function snapshot(table: string): Promise<string[]> {
  const { results } = await env.DB.prepare('SELECT name FROM pragma_table_info(?1)')
    .bind(table)
    .all<{ name: string }>();
  const columns = results.map((c) => `quote("${c.name}")`).join(', ');
  const rows = await env.DB.prepare(`SELECT ${columns} FROM "${table}"`).raw();
  return rows.map((row) => JSON.stringify(row)).sort();
}
