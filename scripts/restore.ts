/**
 * `npm run restore -- <prefix> [options]`: loads a backup export into a D1 database, the local
 * one of `wrangler dev` by default. Every object is checked against the manifest (SHA-256, row
 * count) before anything is written; any mismatch refuses the whole restore. The tables of the
 * export are then replaced in one transaction; the target's backup log (`backups`) is kept,
 * since it describes what is in R2, not application data.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLoadFailure, loadExport } from '../core/backup/load.ts';
import { normalizePrefix } from '../core/backup/manifest.ts';
import { restoreStatements, sqlFile } from '../core/backup/restore-sql.ts';
import { compareMigrations } from '../core/backup/schema-level.ts';
import { fail as failWith, parseCommand } from './cli.ts';
import { backupBucket, directoryReader, r2Reader } from './restore/sources.ts';
import { appliedMigrations, executeFile, locationFlags, type Outcome, type Target } from './restore/wrangler.ts';

const USAGE = `Usage: npm run restore -- <prefix> [options]

  <prefix>            the run to restore: backups/<timestamp>/ (or just <timestamp>)
  --remote            load into the deployed database and read from the real bucket (needs --yes)
  --yes               confirm a --remote restore, which replaces the rows of every exported table
  --from-dir <dir>    read manifest.json and the .ndjson.gz objects from a local directory instead of R2
  --persist-to <dir>  local state directory of wrangler (default .wrangler/state)
  --database <name>   D1 binding or name (default DB)
  --bucket <name>     R2 bucket (default: the one bound as BACKUPS in wrangler.toml)
  --dry-run           verify the export and the target's schema, load nothing`;

/** Tables restored from an export: all but the backup log. */
const KEEP_TARGET_TABLES = ['backups'];

function fail(message: string, code = 1): never {
  return failWith('restore', message, code);
}

const { values: options, positionals } = parseCommand({
  name: 'restore',
  usage: USAGE,
  positionals: { min: 1, max: 1 },
  options: {
    remote: { type: 'boolean', default: false },
    yes: { type: 'boolean', default: false },
    'from-dir': { type: 'string' },
    'persist-to': { type: 'string' },
    database: { type: 'string', default: 'DB' },
    bucket: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
});
const prefix = normalizePrefix(positionals[0]!);
if (!prefix) fail('the prefix must name one backup run: backups/<timestamp>/ or <timestamp> (see --help)', 2);
if (options.remote && options['persist-to']) fail('--persist-to is for local databases only', 2);
if (options.remote && !options.yes && !options['dry-run']) {
  fail('a --remote restore replaces the rows of every exported table in the deployed database; add --yes', 2);
}

const target: Target = { database: options.database, remote: options.remote, persistTo: options['persist-to'] };
const where = options.remote ? 'the remote database' : 'the local database';
let read: ReturnType<typeof directoryReader>;
if (options['from-dir']) {
  read = directoryReader(options['from-dir'], prefix);
} else {
  const bucket = options.bucket ?? backupBucket();
  if (!bucket) fail('no R2 bucket is bound as BACKUPS in wrangler.toml; pass --bucket', 2);
  read = r2Reader(bucket, target);
}

console.log(`Verifying ${prefix} …`);
const loaded = await loadExport(prefix, read);
if (!loaded.ok) fail(`refusing to restore: ${describeLoadFailure(loaded.error)}`);
const { manifest, tables } = loaded.value;
for (const { table } of tables) console.log(`  ${table.name}: ${table.rows} rows, sha256 ${table.sha256} ok`);

const level = compareMigrations(manifest.schema.migrations, appliedMigrations(target));
if (level.status === 'behind') {
  const apply = `npx wrangler d1 migrations apply ${target.database} ${locationFlags(target).join(' ')}`;
  fail(`${where} lacks migrations the export was made under (${level.missing.join(', ')}); apply them first: ${apply}`);
}
if (level.status === 'ahead') {
  console.warn(
    `Note: ${where} has newer migrations (${level.extra.join(', ')}); columns they added take their defaults (one without a default makes the load fail, changing nothing).`,
  );
}

const statements = restoreStatements(loaded.value, KEEP_TARGET_TABLES);
if (!statements.ok) fail(`refusing to restore: a row of ${statements.error.table} is too large for one SQL statement`);
if (options['dry-run']) {
  console.log(`Dry run: the export is intact and ${where} can take it; nothing was loaded.`);
  process.exit(0);
}

// The SQL holds the data itself (password hashes, sealed secrets): private, and removed afterwards.
const dir = await mkdtemp(join(tmpdir(), 'restore-'));
let outcome: Outcome | null = null;
try {
  const file = join(dir, 'restore.sql');
  await writeFile(file, sqlFile(statements.value), { mode: 0o600 });
  console.log(`Loading ${prefix} into ${where} …`);
  outcome = executeFile(target, file);
} finally {
  await rm(dir, { recursive: true, force: true });
}
if (!outcome?.ok) {
  fail(`wrangler could not load the export; the database was left as it was:\n${outcome?.stderr || outcome?.stdout}`);
}
const restored = tables.filter(({ table }) => !KEEP_TARGET_TABLES.includes(table.name));
console.log(
  `Restored ${restored.length} tables (${restored.reduce((n, t) => n + t.rows.length, 0)} rows) from ${prefix}` +
    ` into ${where}, kept its ${KEEP_TARGET_TABLES.join(', ')} table.`,
);
