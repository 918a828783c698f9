import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, inject, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The first `sh` block after the README's "Walkthrough" heading, exactly as a reader pastes it. */
function walkthrough(): string {
  const section = readme.slice(readme.search(/^## Walkthrough$/m));
  const block = /```sh\n([\s\S]*?)\n```/.exec(section);
  if (!block?.[1]) throw new Error('README.md has no sh block under "## Walkthrough"');
  return block[1];
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const PASTE_PROMPT = 'Paste the verify_email link from the npm start terminal:';

/** The link of the first `verify_email` line the dev server logged after `offset` (the log transport's). */
function verifyLink(offset: number): string | null {
  const lines = readFileSync(inject('devLog'), 'utf8').slice(offset).split('\n');
  const line = lines.find((text) => text.includes('"kind":"verify_email"'));
  return line ? (/"link":"([^"]+)"/.exec(line)?.[1] ?? null) : null;
}

// `set -euo pipefail` only for the test: a missing field or a failed device script stops the run here.
// When the walkthrough asks for the verification link, the test pastes it from the server's log.
function paste(script: string, api: string): Promise<Run> {
  const offset = readFileSync(inject('devLog'), 'utf8').length;
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `set -euo pipefail\n${script}`], {
      cwd: root,
      env: { ...process.env, API: api },
    });
    let stdout = '';
    let stderr = '';
    let pasted = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      if (pasted || !stdout.includes(PASTE_PROMPT)) return;
      pasted = true;
      child.stdin.end(`${verifyLink(offset) ?? 'no verify_email line in the dev server log'}\n`);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const statuses = (stdout: string) => [...stdout.matchAll(/← HTTP (\d{3})/g)].map((match) => Number(match[1]));
const eventIds = (stdout: string) => [...stdout.matchAll(/"id":"(note-[^"]+)"/g)].map((match) => match[1]);

it('has one section named Walkthrough and uses no tool it does not list', () => {
  expect(readme.match(/^#+ Walkthrough$/gm)).toEqual(['## Walkthrough']);
  expect(readme).not.toMatch(/\bjq\b/);
});

it('runs the README walkthrough as pasted, twice in a row, every step answering as described', async () => {
  const script = walkthrough();
  const runs = [await paste(script, inject('baseUrl')), await paste(script, inject('baseUrl'))];
  for (const run of runs) {
    expect(run.stderr, run.stdout).not.toMatch(/^no \S+ in:/m);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    // signup, me, append, conflict, log, live append, rename, revoke, mfa, oauth start (no provider),
    // connections, email verification
    expect(statuses(run.stdout)).toEqual([201, 200, 201, 409, 200, 201, 200, 204, 200, 404, 200, 200]);
    expect(run.stdout).toContain('"email_verified":true');
    expect(run.stdout).toMatch(/^device got 1 \{"text":"hello"\}$/m);
    expect(run.stdout).toMatch(/^device got 2 \{"text":"live"\}$/m);
    expect(run.stdout).toContain('"code":"not_found"');
    expect(run.stdout).toContain("No provider 'github': put OAUTH_PROVIDERS=");
  }
  const [first, second] = runs.map((run) => new Set(eventIds(run.stdout)));
  expect(first!.size).toBe(3);
  expect([...first!].filter((id) => second!.has(id))).toEqual([]);
  expect(existsSync(`${root}/device.ts`) || existsSync(`${root}/start.txt`)).toBe(false);
}, 120_000);
