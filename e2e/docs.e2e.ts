import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { launchBrowser } from './browser.ts';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
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

  const document = (await (await fetch(`${base}/openapi.json`)).json()) as {
    paths: Record<string, object>;
    webhooks: Record<string, object>;
  };
  // Swagger UI shows the webhooks (events sent to the app) as operations too.
  const operations = [...Object.values(document.paths), ...Object.values(document.webhooks)].reduce(
    (count, item) => count + Object.keys(item).length,
    0,
  );
  expect(await page.locator('.opblock').count()).toBe(operations);

  await ready.click();
  await expect
    .poll(() => page.locator('.opblock.is-open .responses-table').first().textContent(), { timeout: 10_000 })
    .toContain('503');

  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
  await page.close();
});
