/**
 * Keyset pages of any table, for backups. The one place that builds SQL from names: tables
 * and columns come from table-discovery.ts (sqlite_master, checked against IDENTIFIER);
 * every value is a bound parameter.
 */
import type { Row } from '../backup/ndjson';
import { encodeCell, isLossyNumber, numericCell, quoteIdent } from '../backup/values';
import type { TableInfo } from './table-discovery';

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

/** SQLite's own count of NULLs in the row: D1 also hands infinities to JavaScript as null. */
const nullCount = (table: TableInfo): string =>
  `(${table.columns.map((column) => `(${quoteIdent(column)} IS NULL)`).join(' + ')})`;

/** One page of rows in key order, after `cursor`. */
export async function readPage(db: D1Database, table: TableInfo, cursor: Cursor, limit: number): Promise<Page> {
  const keys = keyExpressions(table);
  const columns = table.columns.map(quoteIdent);
  const order = table.withoutRowid ? table.keyColumns.map(quoteIdent).join(', ') : table.keyColumns[0];
  const where = cursor ? `WHERE ${keyCondition(table, '>', 1)}` : '';
  const limitParam = cursor ? cursor.length + 1 : 1;
  const statement = db.prepare(
    `SELECT ${[...keys, ...columns, nullCount(table)].join(', ')} FROM ${quoteIdent(table.name)} ${where} ORDER BY ${order} LIMIT ?${limitParam}`,
  );
  const raw = await statement.bind(...(cursor ?? []).map(bindable), limit).raw();
  const rows: Row[] = [];
  for (const values of raw) {
    const key = values.slice(0, keys.length);
    const cells = values.slice(keys.length, keys.length + columns.length);
    const hiddenNumbers = cells.filter((cell) => cell === null).length > Number(values.at(-1));
    const row: Row = {};
    for (const [i, column] of table.columns.entries()) {
      const value = cells[i];
      const inexact = isLossyNumber(value) || (hiddenNumbers && value === null);
      row[column] = inexact ? await exactCell(db, table, column, key) : encodeCell(value);
    }
    rows.push(row);
  }
  const last = raw.at(-1);
  return { rows, next: raw.length === limit && last ? last.slice(0, keys.length) : null };
}

/** A value JSON would round or lose (an integer beyond ±2^53, an infinity), read again as text. */
async function exactCell(db: D1Database, table: TableInfo, column: string, key: unknown[]) {
  const [row] = await db
    .prepare(
      `SELECT CAST(${quoteIdent(column)} AS TEXT) FROM ${quoteIdent(table.name)} WHERE ${keyCondition(table, '=', 1)}`,
    )
    .bind(...key.map(bindable))
    .raw<[string | null]>();
  const text = row?.[0] ?? null;
  if (text === null) return null;
  if (/^[+-]?inf(inity)?$/i.test(text)) return numericCell(text.startsWith('-') ? '-1e999' : '1e999');
  return numericCell(text);
}
