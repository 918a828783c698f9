/** The wrangler commands a restore needs, run through the project's pinned wrangler, offline switches on. */
import { spawnSync } from 'node:child_process';

/** Where the data goes: the local database of `wrangler dev` (optionally another state dir) or the real one. */
export interface Target {
  database: string;
  remote: boolean;
  persistTo?: string;
}

const ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_HIDE_BANNER: 'true',
};

export const locationFlags = (target: Pick<Target, 'remote' | 'persistTo'>): string[] =>
  target.remote ? ['--remote'] : ['--local', ...(target.persistTo ? ['--persist-to', target.persistTo] : [])];

export interface Outcome {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs wrangler with its output captured. */
export function wrangler(args: string[]): Outcome {
  const result = spawnSync('wrangler', args, { env: ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { ok: result.status === 0, stdout: result.stdout, stderr: result.stderr };
}

/** The rows of one query on the target; empty when `table` does not exist there yet. */
function query<T>(target: Target, sql: string, table: string): T[] {
  const outcome = wrangler(['d1', 'execute', target.database, ...locationFlags(target), '--json', '--command', sql]);
  if (!outcome.ok) {
    if (new RegExp(`no such table: ${table}`).test(outcome.stdout + outcome.stderr)) return [];
    throw new Error(`could not read the target's ${table}:\n${outcome.stderr || outcome.stdout}`);
  }
  const [first] = JSON.parse(outcome.stdout) as { results: T[] }[];
  return first?.results ?? [];
}

/** The migrations applied to the target, oldest first; empty when it has no migrations log. */
export function appliedMigrations(target: Target): string[] {
  return query<{ name: string }>(target, 'SELECT name FROM d1_migrations ORDER BY id', 'd1_migrations').map(
    (row) => row.name,
  );
}

/** Loads a `.sql` file into the target in one transaction (a batch locally, an import remotely). */
export function executeFile(target: Target, file: string): Outcome {
  return wrangler(['d1', 'execute', target.database, ...locationFlags(target), '--yes', '--json', '--file', file]);
}

/** Applies every D1 migration of the project to the target (a fresh target gets the whole schema). */
export function applyMigrations(target: Target): Outcome {
  return wrangler(['d1', 'migrations', 'apply', target.database, ...locationFlags(target)]);
}

/** Rows in the target's `users` table; 0 when it has no such table yet. */
export function userCount(target: Target): number {
  return query<{ n: number }>(target, 'SELECT COUNT(*) AS n FROM users', 'users')[0]?.n ?? 0;
}
