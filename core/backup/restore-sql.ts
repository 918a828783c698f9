/**
 * The SQL that loads a verified export into a database: one script, run as one transaction
 * by `wrangler d1 execute --file` (a batch locally, an import remotely).
 */
import { err, ok, type Result } from '../result.ts';
import type { LoadedExport } from './load.ts';
import type { ManifestTable, Reference } from './manifest.ts';
import type { Row } from './ndjson.ts';
import { quoteIdent, sqlLiteral } from './values.ts';

/** D1 refuses statements over 100 KB; inserts are cut well below that. */
export const MAX_STATEMENT_BYTES = 90_000;

export type SqlFailure = { type: 'row_too_large'; table: string };

function tuple(row: Row, columns: readonly string[]): string {
  return `(${columns.map((column) => sqlLiteral(row[column] ?? null)).join(',')})`;
}

function inserts(table: ManifestTable, rows: readonly Row[]): Result<string[], SqlFailure> {
  const head = `INSERT INTO ${quoteIdent(table.name)} (${table.columns.map(quoteIdent).join(',')}) VALUES `;
  const statements: string[] = [];
  let batch: string[] = [];
  let size = head.length;
  for (const row of rows) {
    const values = tuple(row, table.columns);
    if (head.length + values.length > MAX_STATEMENT_BYTES) return err({ type: 'row_too_large', table: table.name });
    if (size + values.length + 1 > MAX_STATEMENT_BYTES) {
      statements.push(head + batch.join(','));
      batch = [];
      size = head.length;
    }
    batch.push(values);
    size += values.length + 1;
  }
  if (batch.length) statements.push(head + batch.join(','));
  return ok(statements);
}

/**
 * Rows whose parent was deleted while the export ran (tables are read one after another, so
 * an export is not a single snapshot) would break their foreign key: they are dropped, by
 * SQLite's own comparison, before the transaction commits.
 */
function dropOrphans(table: string, ref: Reference): string {
  const child = quoteIdent(table);
  const parent = quoteIdent(ref.table);
  const present = ref.from.map((column) => `${child}.${quoteIdent(column)} IS NOT NULL`).join(' AND ');
  const match = ref.from
    .map((column, i) => `${parent}.${quoteIdent(ref.to[i] ?? column)} = ${child}.${quoteIdent(column)}`)
    .join(' AND ');
  return `DELETE FROM ${child} WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${parent} WHERE ${match})`;
}

/**
 * Replaces every row of the exported tables (except `skip`) with the export's rows. Foreign
 * keys are checked at commit, so the order of the statements cannot trip them.
 */
export function restoreStatements(loaded: LoadedExport, skip: readonly string[] = []): Result<string[], SqlFailure> {
  const tables = loaded.tables.filter(({ table }) => !skip.includes(table.name));
  const statements = ['PRAGMA defer_foreign_keys = on'];
  for (const { table } of [...tables].reverse()) statements.push(`DELETE FROM ${quoteIdent(table.name)}`);
  for (const { table, rows } of tables) {
    const sql = inserts(table, rows);
    if (!sql.ok) return sql;
    statements.push(...sql.value);
  }
  for (const { table } of tables) {
    for (const ref of table.references) statements.push(dropOrphans(table.name, ref));
  }
  return ok(statements);
}

/** The statements as the text of a `.sql` file. */
export const sqlFile = (statements: readonly string[]): string => `${statements.join(';\n')};\n`;
