/**
 * Reading an export back: the manifest, then every object, each checked against the
 * manifest's SHA-256 and row count before anything is loaded anywhere.
 */
import * as v from 'valibot';
import { err, ok, type Result } from '../result.ts';
import { MANIFEST_NAME, Manifest, type ManifestTable, objectKey } from './manifest.ts';
import { gunzip, parseRows, type Row, type RowsFailure } from './ndjson.ts';

export interface LoadedTable {
  table: ManifestTable;
  rows: Row[];
}

export interface LoadedExport {
  manifest: Manifest;
  tables: LoadedTable[];
}

export type LoadFailure =
  | { type: 'missing_object'; key: string }
  | { type: 'bad_manifest'; issues: string[] }
  | { type: 'hash_mismatch'; key: string; expected: string; actual: string }
  | { type: 'row_count_mismatch'; key: string; expected: number; actual: number }
  | (RowsFailure & { key: string });

/** Reads one object of the export; null when it does not exist. */
export type ObjectReader = (key: string) => Promise<Uint8Array | null>;

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function readManifest(prefix: string, read: ObjectReader): Promise<Result<Manifest, LoadFailure>> {
  const key = `${prefix}${MANIFEST_NAME}`;
  const bytes = await read(key);
  if (!bytes) return err({ type: 'missing_object', key });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return err({ type: 'bad_manifest', issues: ['is not JSON'] });
  }
  const parsed = v.safeParse(Manifest, json);
  if (!parsed.success) {
    return err({ type: 'bad_manifest', issues: parsed.issues.map((i) => `${v.getDotPath(i) ?? ''} ${i.message}`) });
  }
  const manifest = parsed.output;
  const issues: string[] = [];
  if (manifest.prefix !== prefix) issues.push(`prefix is ${manifest.prefix}, not ${prefix}`);
  for (const table of manifest.tables) {
    // Keys are derived, never trusted: a manifest cannot point the restore at other objects.
    if (table.key !== objectKey(prefix, table.name)) issues.push(`${table.name} has an unexpected key`);
  }
  if (new Set(manifest.tables.map((t) => t.name)).size !== manifest.tables.length) issues.push('repeats a table');
  return issues.length ? err({ type: 'bad_manifest', issues }) : ok(manifest);
}

async function loadTable(table: ManifestTable, read: ObjectReader): Promise<Result<LoadedTable, LoadFailure>> {
  const bytes = await read(table.key);
  if (!bytes) return err({ type: 'missing_object', key: table.key });
  const actual = await sha256Hex(bytes);
  if (actual !== table.sha256) return err({ type: 'hash_mismatch', key: table.key, expected: table.sha256, actual });
  const parsed = parseRows(new TextDecoder().decode(await gunzip(bytes)), table.columns);
  if (!parsed.ok) return err({ ...parsed.error, key: table.key });
  if (parsed.value.length !== table.rows) {
    return err({ type: 'row_count_mismatch', key: table.key, expected: table.rows, actual: parsed.value.length });
  }
  return ok({ table, rows: parsed.value });
}

/** Loads and verifies the export under `prefix`; the first problem found refuses the whole export. */
export async function loadExport(prefix: string, read: ObjectReader): Promise<Result<LoadedExport, LoadFailure>> {
  const manifest = await readManifest(prefix, read);
  if (!manifest.ok) return manifest;
  const tables: LoadedTable[] = [];
  for (const table of manifest.value.tables) {
    const loaded = await loadTable(table, read);
    if (!loaded.ok) return loaded;
    tables.push(loaded.value);
  }
  return ok({ manifest: manifest.value, tables });
}

/** A failure as one line for the operator. */
export function describeLoadFailure(failure: LoadFailure): string {
  switch (failure.type) {
    case 'missing_object':
      return `${failure.key} does not exist`;
    case 'bad_manifest':
      return `the manifest is not valid: ${failure.issues.join('; ')}`;
    case 'hash_mismatch':
      return `${failure.key} has SHA-256 ${failure.actual}, but the manifest says ${failure.expected}`;
    case 'row_count_mismatch':
      return `${failure.key} holds ${failure.actual} rows, but the manifest says ${failure.expected}`;
    case 'malformed_rows':
      return `${failure.key}, line ${failure.line}: ${failure.reason}`;
  }
}
