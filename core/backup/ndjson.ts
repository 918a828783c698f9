/** Rows as NDJSON (one JSON object per line) and gzip, with the WHATWG streams both runtimes have. */
import { err, ok, type Result } from '../result.ts';
import { type Cell, isCell } from './values.ts';

export type Row = Record<string, Cell>;

export const ndjsonLine = (row: Row): string => `${JSON.stringify(row)}\n`;

export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export type RowsFailure = { type: 'malformed_rows'; line: number; reason: string };

/** Parses NDJSON rows, each an object of known columns holding well-formed cells. */
export function parseRows(text: string, columns: readonly string[]): Result<Row[], RowsFailure> {
  const known = new Set(columns);
  const rows: Row[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [index, line] of lines.entries()) {
    const fail = (reason: string) => err<RowsFailure>({ type: 'malformed_rows', line: index + 1, reason });
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return fail('is not JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('is not an object');
    for (const [column, cell] of Object.entries(value)) {
      if (!known.has(column)) return fail(`has a column the manifest does not list (${column})`);
      if (!isCell(cell)) return fail(`has a malformed value in ${column}`);
    }
    rows.push(value as Row);
  }
  return ok(rows);
}
