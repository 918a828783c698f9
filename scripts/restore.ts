/**
 * `npm run restore -- <prefix> [options]`: restores a backup into an environment, by default a
 * fresh local one. Everything is verified first (every D1 table's and every user's objects
 * against their manifests: SHA-256, row and event counts); any mismatch refuses the whole
 * restore. Then the D1 migrations are applied to the target, the D1 tables loaded in one
 * transaction (the target's backup log, `backups`, is kept), and each user's audit trail and
 * event log loaded into their actor through the operator endpoints, with progress and a summary.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cutsOf } from '../core/backup/actor-restore.ts';
import { httpSink } from '../core/backup/actor-sink.ts';
import { describeLoadFailure, loadExport, type ObjectReader } from '../core/backup/load.ts';
import { normalizePrefix } from '../core/backup/manifest.ts';
import { restoreStatements, sqlFile } from '../core/backup/restore-sql.ts';
import { compareMigrations } from '../core/backup/schema-level.ts';
import { fail as failWith, parseCommand } from './cli.ts';
import { startDevServer } from './dev-server.ts';
import { loadActors, verifyActors } from './restore/actors.ts';
import { backupBucket, directoryReader, localR2Reader, r2Reader } from './restore/sources.ts';
import {
  appliedMigrations,
  applyMigrations,
  executeFile,
  type Outcome,
  type Target,
  userCount,
} from './restore/wrangler.ts';

const USAGE = `Usage: npm run restore -- <prefix> [options]

Restores one backup run: the D1 tables and every user's audit trail and event log. Verifies
every object first (SHA-256, row, entry and event counts), applies the D1 migrations to the
target, loads D1, then loads each user's trail and log into their actor, printing progress
and a summary.

  <prefix>               the run to restore: backups/<timestamp>/ (or just <timestamp>)

Where the backup is read:
  --source-state <dir>   local wrangler state whose R2 bucket holds it (default .wrangler/state)
  --from-dir <dir>       a directory with the run's files (manifest.json, <table>.ndjson.gz) and
                         the users' folders beside them (actors/users/<id>/...)
  --remote               the real bucket; also restores into the deployed database (needs
                         --target-url and --yes, and ADMIN_TOKEN in the environment)

Where it goes:
  --target-state <dir>   local wrangler state to restore into (default .wrangler/state); a new
                         or empty directory makes a fresh environment
  --target-url <url>     with --remote: the deployed Worker, whose operator endpoints load the logs
  --replace              restore over a target that already holds users (replaces their data,
                         their logs and audit trails)
  --yes                  confirm a --remote restore

  --database <name>      D1 binding or name (default DB)
  --bucket <name>        R2 bucket (default: the one bound as BACKUPS in wrangler.toml)
  --dry-run              verify the backup, load nothing

Example (a fresh local environment from the local backups of npm start):
  npm run restore -- 2026-12-02T03-17-00.123Z --target-state .wrangler/restored
  npm start -- then point it at .wrangler/restored, or copy it over .wrangler/state`;

/** Tables restored from an export: all but the backup log. */
const KEEP_TARGET_TABLES = ['backups'];

function fail(message: string, code = 1): never {
  return failWith('restore', message, code);
}

/** A refusal once the source is open: thrown, so the source closes before the process exits. */
class Refusal extends Error {}
function refuse(message: string): never {
  throw new Refusal(message);
}

const { values: options, positionals } = parseCommand({
  name: 'restore',
  usage: USAGE,
  positionals: { min: 1, max: 1 },
  options: {
    'source-state': { type: 'string' },
    'from-dir': { type: 'string' },
    remote: { type: 'boolean', default: false },
    'target-state': { type: 'string' },
    'target-url': { type: 'string' },
    replace: { type: 'boolean', default: false },
    yes: { type: 'boolean', default: false },
    database: { type: 'string', default: 'DB' },
    bucket: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
});
const prefix = normalizePrefix(positionals[0]!);
if (!prefix) fail('the prefix must name one backup run: backups/<timestamp>/ or <timestamp> (see --help)', 2);
if (options.remote && (options['source-state'] || options['target-state'])) {
  fail('--source-state and --target-state are for local runs, not with --remote', 2);
}
if (options.remote && !options.yes && !options['dry-run']) {
  fail('a --remote restore replaces the rows of every exported table in the deployed database; add --yes', 2);
}
if (options.remote && !options['dry-run'] && !options['target-url']) {
  fail('a --remote restore loads the users’ logs through the deployed Worker; pass --target-url', 2);
}
if (!options.remote && options['target-url']) fail('--target-url is for --remote restores', 2);
const adminToken = process.env.ADMIN_TOKEN ?? '';
if (options.remote && !options['dry-run'] && adminToken.length < 32) {
  fail('a --remote restore needs the deployed ADMIN_TOKEN in the environment', 2);
}

const started = Date.now();
const report = (line: string) => console.log(line);
const targetState = resolve(options['target-state'] ?? '.wrangler/state');
const target: Target = {
  database: options.database,
  remote: options.remote,
  ...(options.remote ? {} : { persistTo: targetState }),
};
const where = options.remote ? 'the deployed environment' : `the local environment in ${targetState}`;
const bucket = options.bucket ?? backupBucket();

let read: ObjectReader;
let closeSource = async () => {};
if (options['from-dir']) {
  read = directoryReader(options['from-dir'], prefix);
} else {
  if (!bucket) fail('no R2 bucket is bound as BACKUPS in wrangler.toml; pass --bucket', 2);
  if (options.remote) read = r2Reader(bucket, { remote: true });
  else {
    const source = await localR2Reader(resolve(options['source-state'] ?? '.wrangler/state'), bucket);
    read = source.read;
    closeSource = source.close;
  }
}

let failure: string | null = null;
try {
  report(`Verifying ${prefix} …`);
  const loaded = await loadExport(prefix, read);
  if (!loaded.ok) refuse(`refusing to restore: ${describeLoadFailure(loaded.error)}`);
  const rows = loaded.value.tables.reduce((n, t) => n + t.rows.length, 0);
  for (const { table } of loaded.value.tables) report(`  ${table.name}: ${table.rows} rows, sha256 ok`);
  const cuts = cutsOf(loaded.value);
  if (cuts.length === 0) report('  (this run covers no user actors: it predates their backups, or had none)');
  const actors = await verifyActors(read, cuts, report);
  if (!actors.ok) refuse(`refusing to restore: ${actors.message}`);
  const events = actors.users.reduce((n, u) => n + u.cut.events, 0);
  const entries = actors.users.reduce((n, u) => n + (u.audit?.entries ?? 0), 0);
  const statements = restoreStatements(loaded.value, KEEP_TARGET_TABLES);
  if (!statements.ok)
    refuse(`refusing to restore: a row of ${statements.error.table} is too large for one SQL statement`);
  const skipped = actors.skipped.length
    ? `; ${actors.skipped.length} skipped, without exports: ${actors.skipped.join(', ')}`
    : '';
  report(
    `Verified: ${loaded.value.tables.length} tables (${rows} rows), ${actors.users.length} users (${events} events, ${entries} audit entries)${skipped}.`,
  );
  if (options['dry-run']) {
    report('Dry run: the backup is intact; nothing was loaded.');
  } else {
    report(`Applying D1 migrations to ${where} …`);
    const migrated = applyMigrations(target);
    if (!migrated.ok) refuse(`wrangler could not apply the migrations:\n${migrated.stderr || migrated.stdout}`);
    // A backup made under a migration this checkout lacks has columns the target cannot take.
    const level = compareMigrations(loaded.value.manifest.schema.migrations, appliedMigrations(target));
    if (level.status === 'behind') {
      refuse(
        `${where} lacks migrations the backup was made under (${level.missing.join(', ')}): restore with the code that made it, or newer`,
      );
    }
    if (level.status === 'ahead') {
      report(
        `Note: ${where} has newer migrations (${level.extra.join(', ')}); columns they added take their defaults.`,
      );
    }
    const existing = userCount(target);
    if (existing > 0 && !options.replace) {
      refuse(
        `${where} already holds ${existing} users; restore into a fresh target, or pass --replace to overwrite them`,
      );
    }

    // The SQL holds the data itself (password hashes, sealed secrets): private, and removed afterwards.
    const dir = await mkdtemp(join(tmpdir(), 'restore-'));
    let outcome: Outcome | null = null;
    try {
      const file = join(dir, 'restore.sql');
      await writeFile(file, sqlFile(statements.value), { mode: 0o600 });
      report(`Loading D1 (${rows} rows) into ${where} …`);
      outcome = executeFile(target, file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    if (!outcome?.ok) {
      refuse(
        `wrangler could not load the tables; the database was left as it was:\n${outcome?.stderr || outcome?.stdout}`,
      );
    }

    report(`Loading ${actors.users.length} users’ audit trails (${entries} entries) and logs (${events} events) …`);
    let loadedActors: Awaited<ReturnType<typeof loadActors>>;
    if (options.remote) {
      loadedActors = await loadActors(
        read,
        httpSink(options['target-url']!.replace(/\/$/, ''), adminToken),
        actors.users,
        options.replace,
        report,
      );
    } else {
      // A Worker on the target state, with an operator token of its own, for the operator endpoints.
      const token = randomBytes(32).toString('base64url');
      const server = await startDevServer(process.cwd(), { ADMIN_TOKEN: token }, { state: targetState });
      try {
        loadedActors = await loadActors(read, httpSink(server.url, token), actors.users, options.replace, report);
      } finally {
        await server.stop();
      }
    }
    if (!loadedActors.ok) refuse(`the D1 tables are restored, but a user's log is not: ${loadedActors.message}`);
    const seconds = (Date.now() - started) / 1000;
    const rate = Math.round(loadedActors.events / Math.max(loadedActors.ms / 1000, 0.001));
    report(
      `Restored ${prefix} into ${where} in ${seconds.toFixed(1)} s: ${loaded.value.tables.length - KEEP_TARGET_TABLES.length} tables ` +
        `(${rows} rows), ${loadedActors.users} users (${loadedActors.events} events, ${rate} events/s; ` +
        `${loadedActors.audit} audit entries); kept its backups table.`,
    );
  }
} catch (error) {
  if (!(error instanceof Refusal)) throw error;
  failure = error.message;
} finally {
  await closeSource();
}
if (failure !== null) fail(failure);
