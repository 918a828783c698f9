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

/** The migrations applied to the target, oldest first; empty when it has no migrations log. */
export function appliedMigrations(target: Target): string[] {
  const sql = 'SELECT name FROM d1_migrations ORDER BY id';
  const outcome = wrangler(['d1', 'execute', target.database, ...locationFlags(target), '--json', '--command', sql]);
  if (!outcome.ok) {
    if (/no such table: d1_migrations/.test(outcome.stdout + outcome.stderr)) return [];
    throw new Error(`could not read the target's migrations:\n${outcome.stderr || outcome.stdout}`);
  }
  const [first] = JSON.parse(outcome.stdout) as { results: { name: string }[] }[];
  return (first?.results ?? []).map((row) => row.name);
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
  const sql = 'SELECT COUNT(*) AS n FROM users';
  const outcome = wrangler(['d1', 'execute', target.database, ...locationFlags(target), '--json', '--command', sql]);
  if (!outcome.ok) {
    if (/no such table: users/.test(outcome.stdout + outcome.stderr)) return 0;
    throw new Error(`could not read the target's users:\n${outcome.stderr || outcome.stdout}`);
  }
  const [first] = JSON.parse(outcome.stdout) as { results: { n: number }[] }[];
  return first?.results[0]?.n ?? 0;
}
