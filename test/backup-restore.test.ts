import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LoadedExport, loadExport, type ObjectReader, sha256Hex } from '../core/backup/load';
import { BACKUP_FORMAT, MANIFEST_NAME, type Manifest, normalizePrefix } from '../core/backup/manifest';
import { gzip } from '../core/backup/ndjson';
import { MAX_STATEMENT_BYTES, restoreStatements, sqlFile } from '../core/backup/restore-sql';
import { compareMigrations } from '../core/backup/schema-level';
import { backupNow, backupRow, readBytes, snapshot } from './backup-helpers';
import { call, signup } from './helpers';

const encoder = new TextEncoder();
let prefix: string;
let manifest: Manifest;

/** Reads the real export, with some objects replaced. */
const reader =
  (overrides: Record<string, Uint8Array | null> = {}): ObjectReader =>
  async (key) =>
    key in overrides ? overrides[key]! : readBytes(key);

const withManifest = (change: (m: Manifest) => void): Record<string, Uint8Array> => {
  const copy = structuredClone(manifest);
  change(copy);
  return { [`${prefix}${MANIFEST_NAME}`]: encoder.encode(JSON.stringify(copy)) };
};

const keyOf = (name: string) => manifest.tables.find((t) => t.name === name)!.key;

async function load(read: ObjectReader = reader()): Promise<LoadedExport> {
  const loaded = await loadExport(prefix, read);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  return loaded.value;
}

async function restore(loaded: LoadedExport): Promise<void> {
  const statements = restoreStatements(loaded, ['backups']);
  if (!statements.ok) throw new Error(statements.error.type);
  await env.DB.batch(statements.value.map((sql) => env.DB.prepare(sql)));
}

const dataTables = () => manifest.tables.map((t) => t.name).filter((name) => name !== 'backups');

beforeAll(async () => {
  const ada = await signup({ name: 'Ada' });
  const grace = await signup({ name: 'Grace' });
  for (const { access_token } of [ada, grace]) {
    await call('/v1/me/api-keys', { method: 'POST', token: access_token, body: { name: 'ci', scopes: ['read'] } });
  }
  const id = await backupNow();
  prefix = (await backupRow(id))!.prefix as string;
  manifest = JSON.parse(new TextDecoder().decode((await readBytes(`${prefix}${MANIFEST_NAME}`))!)) as Manifest;
});

describe('loading an export', () => {
  it('loads every table of the manifest, each verified', async () => {
    const loaded = await load();
    expect(loaded.manifest.id).toBe(manifest.id);
    expect(loaded.tables.map((t) => [t.table.name, t.rows.length])).toEqual(
      manifest.tables.map((t) => [t.name, t.rows]),
    );
  });

  it('refuses an object whose SHA-256 is not the manifest’s', async () => {
    const bytes = (await readBytes(keyOf('users')))!.slice();
    bytes[bytes.length - 1]! ^= 0xff;
    const result = await loadExport(prefix, reader({ [keyOf('users')]: bytes }));
    expect(result).toMatchObject({ ok: false, error: { type: 'hash_mismatch', key: keyOf('users') } });
  });

  it('refuses an object whose row count is not the manifest’s', async () => {
    const overrides = withManifest((m) => {
      m.tables.find((t) => t.name === 'users')!.rows += 1;
    });
    const result = await loadExport(prefix, reader(overrides));
    expect(result).toMatchObject({ ok: false, error: { type: 'row_count_mismatch', expected: 3, actual: 2 } });
  });

  it('refuses an export with an object missing', async () => {
    const result = await loadExport(prefix, reader({ [keyOf('api_keys')]: null }));
    expect(result).toEqual({ ok: false, error: { type: 'missing_object', key: keyOf('api_keys') } });
    expect(await loadExport('backups/none/', reader())).toMatchObject({ ok: false, error: { type: 'missing_object' } });
  });

  it('refuses a manifest that points at objects outside its prefix, or describes another prefix', async () => {
    const elsewhere = withManifest((m) => {
      m.tables[0]!.key = 'backups/other/users.ndjson.gz';
    });
    expect(await loadExport(prefix, reader(elsewhere))).toMatchObject({ ok: false, error: { type: 'bad_manifest' } });
    const other = withManifest((m) => {
      m.prefix = 'backups/other/';
    });
    expect(await loadExport(prefix, reader(other))).toMatchObject({ ok: false, error: { type: 'bad_manifest' } });
  });

  it('refuses a manifest of another format, or one that is not JSON', async () => {
    const future = withManifest((m) => {
      (m as { format: string }).format = 'durable-backend.backup/2';
    });
    expect(await loadExport(prefix, reader(future))).toMatchObject({ ok: false, error: { type: 'bad_manifest' } });
    const garbage = { [`${prefix}${MANIFEST_NAME}`]: encoder.encode('{not json') };
    expect(await loadExport(prefix, reader(garbage))).toMatchObject({ ok: false, error: { type: 'bad_manifest' } });
  });

  it('refuses rows with a column the manifest does not list or a malformed value, even when the hash matches', async () => {
    for (const line of [
      '{"id":"x","nope":1}',
      '{"id":{"$evil":"1"}}',
      '{"id":{"$num":"1; DROP TABLE users"}}',
      '[1]',
    ]) {
      const bytes = await gzip(encoder.encode(`${line}\n`));
      const sha256 = await sha256Hex(bytes);
      const overrides = withManifest((m) => {
        Object.assign(m.tables.find((t) => t.name === 'users')!, { sha256, rows: 1 });
      });
      const result = await loadExport(prefix, reader({ ...overrides, [keyOf('users')]: bytes }));
      expect(result, line).toMatchObject({
        ok: false,
        error: { type: 'malformed_rows', line: 1, key: keyOf('users') },
      });
    }
  });
});

describe('restoring an export', () => {
  it('puts every data table back as it was at the export, and leaves the backup log alone', async () => {
    const before = await Promise.all(dataTables().map(snapshot));
    await signup({ name: 'Added later' });
    await env.DB.prepare("UPDATE users SET name = 'Renamed' WHERE name = 'Ada'").run();
    await env.DB.prepare("DELETE FROM users WHERE name = 'Grace'").run();
    await backupNow();
    const log = await snapshot('backups');

    await restore(await load());

    expect(await Promise.all(dataTables().map(snapshot))).toEqual(before);
    expect(await snapshot('backups')).toEqual(log);
  });

  it('drops rows whose parent was deleted while the export ran, instead of failing on their foreign key', async () => {
    const loaded = await load();
    const users = loaded.tables.find((t) => t.table.name === 'users')!;
    const ada = users.rows.find((r) => r.name === 'Ada')!;
    users.rows = users.rows.filter((r) => r !== ada);
    users.table.rows -= 1;

    await restore(loaded);

    const count = async (sql: string) => (await env.DB.prepare(sql).bind(ada.id).first<{ n: number }>())!.n;
    expect(await count('SELECT count(*) AS n FROM users WHERE id = ?1')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM api_keys WHERE user_id = ?1')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM api_keys WHERE user_id <> ?1')).toBeGreaterThan(0);
    expect(await count("SELECT count(*) AS n FROM users WHERE id <> ?1 AND name = 'Grace'")).toBe(1);
  });
});

describe('restore SQL', () => {
  const synthetic = (rows: { id: number; t: string }[]): LoadedExport => ({
    manifest: {
      format: BACKUP_FORMAT,
      id: 'x',
      prefix: 'backups/x/',
      started_at: new Date(0).toISOString(),
      finished_at: new Date(0).toISOString(),
      schema: { migration: null, migrations: [] },
      tables: [],
    },
    tables: [
      {
        table: {
          name: 'zz_many',
          key: 'backups/x/zz_many.ndjson.gz',
          rows: rows.length,
          sha256: '0'.repeat(64),
          bytes: 0,
          columns: ['id', 't'],
          references: [],
        },
        rows,
      },
    ],
  });

  it('cuts inserts into statements under D1’s size limit', async () => {
    await env.DB.prepare('CREATE TABLE zz_many (id INTEGER PRIMARY KEY, t TEXT)').run();
    const rows = Array.from({ length: 3000 }, (_, id) => ({ id, t: `row ${id} ${'x'.repeat(100)}` }));
    const statements = restoreStatements(synthetic(rows));
    if (!statements.ok) throw new Error(statements.error.type);
    const inserts = statements.value.filter((s) => s.startsWith('INSERT'));
    expect(inserts.length).toBeGreaterThan(3);
    for (const sql of statements.value) expect(sql.length).toBeLessThanOrEqual(MAX_STATEMENT_BYTES);
    await env.DB.batch(statements.value.map((sql) => env.DB.prepare(sql)));
    expect(await env.DB.prepare('SELECT count(*) AS n FROM zz_many').first('n')).toBe(3000);
    expect(sqlFile(['SELECT 1', 'SELECT 2'])).toBe('SELECT 1;\nSELECT 2;\n');
  });

  it('refuses a row too large for one statement', () => {
    const result = restoreStatements(synthetic([{ id: 1, t: 'x'.repeat(MAX_STATEMENT_BYTES) }]));
    expect(result).toEqual({ ok: false, error: { type: 'row_too_large', table: 'zz_many' } });
  });
});

describe('schema levels and prefixes', () => {
  it('loads into a database at the export’s migration level or ahead of it, never behind', () => {
    expect(compareMigrations(['0000_init.sql'], ['0000_init.sql'])).toEqual({ status: 'same' });
    expect(compareMigrations(['0000_init.sql'], ['0000_init.sql', '0001_more.sql'])).toEqual({
      status: 'ahead',
      extra: ['0001_more.sql'],
    });
    expect(compareMigrations(['0000_init.sql', '0001_more.sql'], ['0000_init.sql'])).toEqual({
      status: 'behind',
      missing: ['0001_more.sql'],
    });
    expect(compareMigrations(['0000_init.sql'], [])).toEqual({ status: 'behind', missing: ['0000_init.sql'] });
  });

  it('takes a prefix with or without backups/ and the trailing slash, and nothing else', () => {
    const stamp = '2026-10-20T03-17-00.123Z';
    for (const input of [stamp, `${stamp}/`, `backups/${stamp}`, `backups/${stamp}/`]) {
      expect(normalizePrefix(input)).toBe(`backups/${stamp}/`);
    }
    for (const input of ['', '../etc', 'backups/a/b/', 'a b', '.hidden']) expect(normalizePrefix(input)).toBeNull();
  });
});
