import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExport } from '../core/backup/load';
import type { Row } from '../core/backup/ndjson';
import { restoreStatements } from '../core/backup/restore-sql';
import { discoverTables, type TableInfo } from '../core/db/table-discovery';
import { type Cursor, readPage } from '../core/db/table-pages';
import { exportTable } from '../objects/maintenance/export-table';
import { backupNow, backupRow, readRows, snapshot } from './backup-helpers';

const TABLES = [
  'CREATE TABLE zz_values (id INTEGER PRIMARY KEY, t TEXT, r REAL, b BLOB, n NUMERIC, anything)',
  'CREATE TABLE zz_pairs (a TEXT NOT NULL, b INTEGER NOT NULL, v TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID',
  'CREATE TABLE zz_child (id INTEGER PRIMARY KEY, pair_a TEXT, pair_b INTEGER, FOREIGN KEY (pair_a, pair_b) REFERENCES zz_pairs (a, b))',
  'CREATE TABLE zz_implicit (id INTEGER PRIMARY KEY, value_id INTEGER REFERENCES zz_values)',
];

const ROWS = [
  `INSERT INTO zz_values VALUES (1, 'it''s', 0.1, X'00ff10', 9007199254740993, NULL)`,
  `INSERT INTO zz_values VALUES (2, 'line' || char(10) || 'break; "quoted" ' || char(0) || ' nul', 1e300, X'', -9223372036854775808, 'x')`,
  `INSERT INTO zz_values VALUES (3, '🦆 ünïcode', 9e999, NULL, 1.5, 42)`,
  `INSERT INTO zz_values VALUES (10, '', -0.5, X'ff', 9223372036854775807, 3.25)`,
  `INSERT INTO zz_values VALUES (1000, NULL, NULL, NULL, NULL, NULL)`,
  `INSERT INTO zz_pairs VALUES ('b', 2, 'b2'), ('a', 2, 'a2'), ('a', 1, 'a1'), ('c', -5, NULL)`,
  `INSERT INTO zz_child VALUES (1, 'a', 1), (2, NULL, NULL), (3, 'c', -5)`,
  `INSERT INTO zz_implicit VALUES (1, 1), (2, 1000)`,
];

let tables: Map<string, TableInfo>;

async function allPages(table: TableInfo, limit: number): Promise<{ rows: Row[]; pages: number }> {
  const rows: Row[] = [];
  let cursor: Cursor = null;
  let pages = 0;
  do {
    const page = await readPage(env.DB, table, cursor, limit);
    rows.push(...page.rows);
    cursor = page.next;
    pages += 1;
  } while (cursor);
  return { rows, pages };
}

describe('generic table export', () => {
  beforeAll(async () => {
    for (const sql of [...TABLES, ...ROWS]) await env.DB.prepare(sql).run();
    tables = new Map((await discoverTables(env.DB)).map((t) => [t.name, t]));
  });

  it('describes columns, the pagination key and foreign keys from SQLite itself', () => {
    expect(tables.get('zz_values')).toMatchObject({
      columns: ['id', 't', 'r', 'b', 'n', 'anything'],
      primaryKey: ['id'],
      keyColumns: ['rowid'],
      withoutRowid: false,
    });
    expect(tables.get('zz_pairs')).toMatchObject({ keyColumns: ['a', 'b'], withoutRowid: true });
    expect(tables.get('zz_child')!.references).toEqual([
      { table: 'zz_pairs', from: ['pair_a', 'pair_b'], to: ['a', 'b'] },
    ]);
    // `REFERENCES zz_values` without columns points at its primary key.
    expect(tables.get('zz_implicit')!.references).toEqual([{ table: 'zz_values', from: ['value_id'], to: ['id'] }]);
  });

  it('reads a table in keyset pages by rowid, every row once, in order', async () => {
    const { rows, pages } = await allPages(tables.get('zz_values')!, 2);
    expect(pages).toBe(3);
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 10, 1000]);
  });

  it('reads a WITHOUT ROWID table in pages of its composite primary key', async () => {
    const { rows, pages } = await allPages(tables.get('zz_pairs')!, 1);
    expect(pages).toBe(5);
    expect(rows.map((r) => `${r.a}${r.b}`)).toEqual(['a1', 'a2', 'b2', 'c-5']);
  });

  it('keeps what JSON cannot hold exactly: blobs, integers beyond 2^53, infinity', async () => {
    const { rows } = await allPages(tables.get('zz_values')!, 100);
    expect(rows[0]).toEqual({
      id: 1,
      t: "it's",
      r: 0.1,
      b: { $blob: 'AP8Q' },
      n: { $num: '9007199254740993' },
      anything: null,
    });
    expect(rows[1]).toMatchObject({ r: { $num: '1.0e+300' }, b: { $blob: '' }, n: { $num: '-9223372036854775808' } });
    expect(rows[2]).toMatchObject({ r: { $num: '1e999' }, n: 1.5, anything: 42 });
    expect(rows[3]).toMatchObject({ n: { $num: '9223372036854775807' } });
  });

  it('writes a table through several pages into one object', async () => {
    const entry = await exportTable(
      env.DB,
      env.BACKUPS,
      tables.get('zz_values')!,
      'backups/paged/zz_values.ndjson.gz',
      2,
    );
    expect(entry).toMatchObject({ name: 'zz_values', rows: 5, columns: tables.get('zz_values')!.columns });
    expect((await readRows(entry.key)).map((r) => r.id)).toEqual([1, 2, 3, 10, 1000]);
  });

  it('restores every value exactly: quotes, NUL and newlines in text, blobs, 64-bit integers, reals, infinity', async () => {
    const names = ['zz_values', 'zz_pairs', 'zz_child', 'zz_implicit'];
    const before = await Promise.all(names.map(snapshot));
    const id = await backupNow();
    const prefix = (await backupRow(id))!.prefix as string;
    const loaded = await loadExport(prefix, async (key) => {
      const object = await env.BACKUPS.get(key);
      return object ? new Uint8Array(await object.arrayBuffer()) : null;
    });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    await env.DB.batch([
      env.DB.prepare('PRAGMA defer_foreign_keys = on'),
      ...names.map((n) => env.DB.prepare(`DELETE FROM "${n}"`)),
      env.DB.prepare(`INSERT INTO zz_values (id, t) VALUES (7, 'not in the backup')`),
    ]);
    const statements = restoreStatements(loaded.value, ['backups']);
    if (!statements.ok) throw new Error(statements.error.type);
    await env.DB.batch(statements.value.map((sql) => env.DB.prepare(sql)));
    expect(await Promise.all(names.map(snapshot))).toEqual(before);
  });
});
