/**
 * Generic reads of every D1 table, for backups. This is the one place that builds SQL from
 * names: each name comes from sqlite_master or a pragma and must also match IDENTIFIER;
 * every value is a bound parameter.
 */
import { IDENTIFIER, type Reference } from '../backup/manifest';
import type { Row } from '../backup/ndjson';
import { encodeCell, isLossyNumber, numericCell, quoteIdent } from '../backup/values';

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

export type Cursor = unknown[] | null;

export interface Page {
  rows: Row[];
  /** Where the next page starts; null after the last page. */
  next: Cursor;
}

const keyExpressions = (table: TableInfo): string[] =>
  table.withoutRowid ? table.keyColumns.map(quoteIdent) : [`CAST(${table.keyColumns[0]} AS TEXT)`];

function keyCondition(table: TableInfo, op: '>' | '=', first: number): string {
  if (!table.withoutRowid) return `${table.keyColumns[0]} ${op} CAST(?${first} AS INTEGER)`;
  const params = table.keyColumns.map((_, i) => `?${first + i}`);
  return `(${table.keyColumns.map(quoteIdent).join(', ')}) ${op} (${params.join(', ')})`;
}

const bindable = (value: unknown): unknown => (Array.isArray(value) ? Uint8Array.from(value as number[]) : value);

/** One page of rows in key order, after `cursor`. */
export async function readPage(db: D1Database, table: TableInfo, cursor: Cursor, limit: number): Promise<Page> {
  const keys = keyExpressions(table);
  const order = table.withoutRowid ? table.keyColumns.map(quoteIdent).join(', ') : table.keyColumns[0];
  const where = cursor ? `WHERE ${keyCondition(table, '>', 1)}` : '';
  const limitParam = cursor ? cursor.length + 1 : 1;
  const statement = db.prepare(
    `SELECT ${[...keys, ...table.columns.map(quoteIdent)].join(', ')} FROM ${quoteIdent(table.name)} ${where} ORDER BY ${order} LIMIT ?${limitParam}`,
  );
  const raw = await statement.bind(...(cursor ?? []).map(bindable), limit).raw();
  const rows: Row[] = [];
  for (const values of raw) {
    const key = values.slice(0, keys.length);
    const row: Row = {};
    for (const [i, column] of table.columns.entries()) {
      const value = values[keys.length + i];
      row[column] = isLossyNumber(value) ? await exactNumber(db, table, column, key) : encodeCell(value);
    }
    rows.push(row);
  }
  const last = raw.at(-1);
  return { rows, next: raw.length === limit && last ? last.slice(0, keys.length) : null };
}

/** D1 hands integers to JavaScript as doubles: one beyond ±2^53 is read again, as text. */
async function exactNumber(db: D1Database, table: TableInfo, column: string, key: unknown[]) {
  const text = await db
    .prepare(
      `SELECT CAST(${quoteIdent(column)} AS TEXT) FROM ${quoteIdent(table.name)} WHERE ${keyCondition(table, '=', 1)}`,
    )
    .bind(...key.map(bindable))
    .raw<[string]>();
  return numericCell(text[0]![0]);
}
