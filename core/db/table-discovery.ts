/**
 * What D1 holds, for backups: the application's tables, their columns, keys and foreign
 * keys, read from sqlite_master and pragmas. Every name must also match IDENTIFIER before
 * table-pages.ts puts it into SQL.
 */
import { IDENTIFIER, type Reference } from '../backup/manifest';
import { quoteIdent } from '../backup/values';

/** Tables that belong to D1 or wrangler, not to the application. */
const MIGRATIONS_TABLE = 'd1_migrations';

export interface TableInfo {
  name: string;
  columns: string[];
  primaryKey: string[];
  /** Keyset pagination key: the rowid alias, or the primary key of a WITHOUT ROWID table. */
  keyColumns: string[];
  withoutRowid: boolean;
  references: Reference[];
}

function identifier(name: unknown, what: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new Error(`${what} ${JSON.stringify(name)} is not a plain SQL identifier; the export refuses it`);
  }
  return name;
}

/** Application tables: not SQLite's, D1's (`_cf_…`), the migrations log or virtual tables. */
async function tableNames(db: D1Database): Promise<{ name: string; sql: string }[]> {
  const { results } = await db
    .prepare(
      `SELECT name, sql FROM sqlite_master WHERE type = 'table'
         AND substr(name, 1, 7) <> 'sqlite_' AND substr(name, 1, 4) <> '_cf_' AND name <> ?1
         AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name`,
    )
    .bind(MIGRATIONS_TABLE)
    .all<{ name: string; sql: string }>();
  return results.map((row) => ({ name: identifier(row.name, 'table'), sql: row.sql }));
}

async function describe(db: D1Database, name: string, sql: string): Promise<TableInfo> {
  const [columns, keys] = await db.batch<Record<string, unknown>>([
    db.prepare('SELECT name, pk FROM pragma_table_xinfo(?1) WHERE hidden = 0 ORDER BY cid').bind(name),
    db.prepare('SELECT id, seq, "table", "from", "to" FROM pragma_foreign_key_list(?1) ORDER BY id, seq').bind(name),
  ]);
  const cols = columns!.results.map((c) => ({ name: identifier(c.name, 'column'), pk: Number(c.pk) }));
  const names = cols.map((c) => c.name);
  const withoutRowid = /\)\s*WITHOUT\s+ROWID\s*;?\s*$/i.test(sql);
  const primaryKey = cols
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
  const alias = ['rowid', '_rowid_', 'oid'].find((candidate) => !names.some((n) => n.toLowerCase() === candidate));
  if (!withoutRowid && !alias) throw new Error(`table ${name} hides its rowid behind columns; the export refuses it`);
  const groups = new Map<number, Reference>();
  for (const fk of keys!.results) {
    const ref = groups.get(Number(fk.id)) ?? { table: identifier(fk.table, 'table'), from: [], to: [] };
    ref.from.push(identifier(fk.from, 'column'));
    if (fk.to !== null) ref.to.push(identifier(fk.to, 'column'));
    groups.set(Number(fk.id), ref);
  }
  return {
    name,
    columns: names,
    primaryKey,
    keyColumns: withoutRowid ? primaryKey : [alias!],
    withoutRowid,
    references: [...groups.values()],
  };
}

/** Every application table with its columns, pagination key and foreign keys. */
export async function discoverTables(db: D1Database): Promise<TableInfo[]> {
  const tables = await Promise.all((await tableNames(db)).map(({ name, sql }) => describe(db, name, sql)));
  const byName = new Map(tables.map((t) => [t.name, t]));
  for (const table of tables) {
    for (const ref of table.references) {
      // `REFERENCES parent` without columns means the parent's primary key.
      if (ref.to.length === 0) {
        const parent = byName.get(ref.table);
        ref.to = parent?.primaryKey ?? [];
      }
    }
    table.references = table.references.filter((ref) => ref.to.length === ref.from.length);
  }
  return tables;
}

/** The applied D1 migrations, oldest first; empty when the database has no migrations log. */
export async function appliedMigrations(db: D1Database): Promise<string[]> {
  const exists = await db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")
    .bind(MIGRATIONS_TABLE)
    .first();
  if (!exists) return [];
  const { results } = await db.prepare(`SELECT name FROM ${quoteIdent(MIGRATIONS_TABLE)} ORDER BY id`).all<{
    name: string;
  }>();
  return results.map((row) => row.name);
}
