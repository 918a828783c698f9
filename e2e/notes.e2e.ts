/**
 * The notes example in two real browsers (two devices of one user): a note typed in
 * one appears in the other, a note written while one is offline arrives after it reconnects,
 * and revoking one from the other closes it with the reason shown.
 */
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { launchBrowser } from './browser.ts';

// Two browsers, not two contexts of one: the headless build's contexts share IndexedDB, and
// each browser must be a device of its own.
const browsers: Browser[] = [];

beforeAll(async () => {
  browsers.push(await launchBrowser(), await launchBrowser());
});

afterAll(async () => {
  await Promise.all(browsers.map((browser) => browser.close()));
});

const EMAIL = `notes-${crypto.randomUUID()}@example.com`;
const PASSWORD = 'correct horse battery staple';

/** A switch for one page's WebSockets, as a lost network would be: off closes them and refuses new ones. */
class Network {
  online = true;
  private readonly open: WebSocketRoute[] = [];

  async install(page: Page): Promise<void> {
    await page.routeWebSocket(/\/ws$/, (ws) => {
      if (!this.online) return ws.close({ code: 4001, reason: 'offline' });
      ws.connectToServer();
      this.open.push(ws);
    });
  }

  async off(): Promise<void> {
    this.online = false;
    await Promise.all(this.open.splice(0).map((ws) => ws.close({ code: 4001, reason: 'offline' })));
  }
}

async function open(
  browser: Browser,
  button: 'sign-up' | 'sign-in',
  network?: Network,
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await network?.install(page);
  await page.goto(`${inject('baseUrl')}/examples/notes`);
  await page.fill('#email', EMAIL);
  await page.fill('#password', PASSWORD);
  await page.click(`#${button}`);
  return { page, errors };
}

const status = (page: Page) => page.locator('#status');
const notes = (page: Page) => page.locator('#notes li');

async function add(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#compose button');
}

it('syncs notes between two browsers, delivers offline edits, and shows a revocation', async () => {
  const network = new Network();
  const a = await open(browsers[0]!, 'sign-up', network);
  await expect.poll(() => status(a.page).textContent(), { timeout: 30_000 }).toBe('ready');
  await add(a.page, 'before B');

  const b = await open(browsers[1]!, 'sign-in');
  await expect.poll(() => status(b.page).textContent(), { timeout: 30_000 }).toBe('ready');
  await expect.poll(() => notes(b.page).allTextContents(), { timeout: 10_000 }).toEqual(['before B']);

  await add(b.page, 'from B');
  await expect.poll(() => notes(a.page).allTextContents(), { timeout: 10_000 }).toContain('from B');

  // A goes offline: its socket closes and new ones are refused.
  await network.off();
  await expect.poll(() => status(a.page).textContent(), { timeout: 10_000 }).not.toBe('ready');
  await add(a.page, 'written offline');
  expect(await notes(a.page).allTextContents()).toContain('written offline');
  network.online = true;
  await expect.poll(() => status(a.page).textContent(), { timeout: 15_000 }).toBe('ready');
  await expect.poll(() => notes(b.page).allTextContents(), { timeout: 10_000 }).toContain('written offline');

  const deviceA = await a.page.locator('#device').textContent();
  await b.page.click('#refresh');
  await b.page.click(`#devices button[data-device="${deviceA}"]`);
  await expect.poll(() => status(a.page).textContent(), { timeout: 10_000 }).toBe('closed (1008 device revoked)');

  expect([...a.errors, ...b.errors].filter((e) => !e.includes('WebSocket'))).toEqual([]);
}, 120_000);
