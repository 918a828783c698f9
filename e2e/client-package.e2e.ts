import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { root, runScript } from './sandbox.ts';

let app: string;

beforeAll(() => {
  const build = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'client/tsconfig.build.json'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  expect(build.stderr + build.stdout).toBe('');
  // What `npm install ../client` leaves in an app: the package linked under its name.
  app = mkdtempSync(join(tmpdir(), 'client-package-'));
  mkdirSync(join(app, 'node_modules/@durable-backend'), { recursive: true });
  symlinkSync(join(root, 'client'), join(app, 'node_modules/@durable-backend/client'));
});

afterAll(() => rmSync(app, { recursive: true, force: true }));

describe('the client package', () => {
  it('is imported by name in Node, and its file store resends after a crash', () => {
    const script = join(root, 'e2e/fixtures/package-consumer.mjs');
    const consumer = join(app, 'consumer.mjs');
    copyFileSync(script, consumer);
    const offline = runScript(app, consumer, ['offline', inject('baseUrl')]);
    expect(offline.stderr).toBe('');
    expect(offline.status).toBe(3);
    const kept = JSON.parse(readFileSync(join(app, 'outbox.json'), 'utf8')) as { pending: { id: string }[] };
    expect(kept.pending.map((event) => event.id)).toEqual(['from-node']);
    const online = runScript(app, consumer, ['online', inject('baseUrl')]);
    expect(online.stderr).toBe('');
    expect(online.status).toBe(0);
    expect(JSON.parse(online.stdout)).toEqual(['from-node']);
    expect(JSON.parse(readFileSync(join(app, 'outbox.json'), 'utf8')).pending).toEqual([]);
  });
});
