/**
 * A throwaway checkout for tests that run `npm start` or its script: every top-level entry of
 * the project linked in, except the files `npm start` writes (`.env`, `.wrangler/`), so a test
 * never touches the developer's secrets or local database.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
const WRITTEN = new Set(['.env', '.dev.vars', '.wrangler', '.git']);

export interface Sandbox {
  dir: string;
  remove(): void;
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'durable-backend-sandbox-'));
  for (const entry of readdirSync(root)) {
    if (!WRITTEN.has(entry)) symlinkSync(join(root, entry), join(dir, entry));
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script of the project with this Node (the project's pinned one under npm scripts). */
export function runScript(cwd: string, script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Outcome {
  const result = spawnSync(process.execPath, [script, ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
