/**
 * Headless Chromium for the browser tests, from the npm package `@sparticuz/chromium`: nothing
 * installed on the machine is needed. The browser is unpacked once per package version into the
 * temp folder and then reused.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sparticuz, { inflate } from '@sparticuz/chromium';
import { type Browser, chromium } from 'playwright-core';

/** Flags that keep the browser off the network: no updates, sync, metrics or QUIC probes. */
const OFFLINE_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The package's serverless flags weaken the same-origin policy; tests must see what users see. */
const UNSAFE_ARGS = new Set(['--disable-web-security', '--allow-running-insecure-content']);

const packageDir = join(dirname(fileURLToPath(import.meta.resolve('@sparticuz/chromium'))), '..');

/** Unpacks into a private folder and renames it into place, so a run that is cut off or a
 * parallel run never sees half a browser. */
async function unpacked(): Promise<string> {
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const dir = join(tmpdir(), `durable-backend-chromium-${version}`);
  if (existsSync(join(dir, 'chromium'))) return dir;
  const staging = mkdtempSync(`${dir}-partial-`);
  const previous = process.env.TMPDIR;
  // The package unpacks into os.tmpdir(), read synchronously when each unpack starts.
  process.env.TMPDIR = staging;
  let unpacking: Promise<unknown>;
  try {
    unpacking = Promise.all([sparticuz.executablePath(), inflate(join(packageDir, 'bin', 'al2023.tar.br'))]);
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
  try {
    await unpacking;
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(dir, 'chromium'))) throw error;
  }
  return dir;
}

/** A headless browser with a throwaway profile; `close()` ends it and removes the profile. */
export async function launchBrowser(): Promise<Browser> {
  const dir = await unpacked();
  const args = [...sparticuz.args.filter((arg) => !UNSAFE_ARGS.has(arg)), ...OFFLINE_ARGS];
  return chromium.launch({
    executablePath: join(dir, 'chromium'),
    headless: true,
    args,
    timeout: 30_000,
    // The package's own NSS libraries, for machines that have none installed.
    env: {
      ...process.env,
      LD_LIBRARY_PATH: [join(dir, 'al2023', 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    },
  });
}
