import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let profile: string;
let browser: BrowserContext;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  profile = mkdtempSync(join(tmpdir(), 'durable-backend-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 30_000,
  });
});

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

it('renders every operation of /docs under its CSP, with nothing fetched from elsewhere', async () => {
  const base = inject('baseUrl');
  const page = await browser.newPage();
  const problems: string[] = [];
  const foreign: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(base) && !url.startsWith('data:')) foreign.push(url);
  });

  await page.goto(`${base}/docs`, { waitUntil: 'load' });
  const ready = page.locator('.opblock-summary', { hasText: 'Readiness: D1, a Durable Object round trip and R2' });
  await ready.waitFor({ timeout: 30_000 });

  const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, object> };
  const operations = Object.values(document.paths).reduce((count, item) => count + Object.keys(item).length, 0);
  expect(await page.locator('.opblock').count()).toBe(operations);

  await ready.click();
  await expect
    .poll(() => page.locator('.opblock.is-open .responses-table').first().textContent(), { timeout: 10_000 })
    .toContain('503');

  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
  await page.close();
});
