/** docs/SCALE.md's table, checked against the code: each operation's D1, actor and storage cost. */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import scaleDoc from '../docs/SCALE.md?raw';
import { type Cost, CostCounter } from './cost-counter';
import { call, login, signup, type Tokens } from './helpers';
import { connect, type Frames, registerTestDevice, type TestDevice } from './realtime-helpers';

interface Row {
  d1Reads: number;
  d1Writes: number;
  actorCalls: string;
  storageWrites: number;
}

/** The rows between the scale-table markers, by operation. */
function documented(): Map<string, Row> {
  const table = scaleDoc.split('<!-- scale-table:start -->')[1]?.split('<!-- scale-table:end -->')[0] ?? '';
  const rows = new Map<string, Row>();
  for (const line of table.split('\n').slice(3)) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 6) continue;
    const [, operation, reads, writes, calls, storage] = cells as [string, string, string, string, string, string];
    rows.set(operation, {
      d1Reads: Number(reads),
      d1Writes: Number(writes),
      actorCalls: calls,
      storageWrites: Number(storage),
    });
  }
  return rows;
}

const asRow = (cost: Cost): Row => ({
  d1Reads: cost.d1Reads,
  d1Writes: cost.d1Writes,
  actorCalls: Object.entries(cost.actorCalls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name} ×${n}`)
    .join(', '),
  storageWrites: cost.storageWrites,
});

/** Lets work the operation left behind (relays, waitUntil bookkeeping) finish before counting. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

describe('docs/SCALE.md', () => {
  const doc = documented();
  const measured = new Map<string, Row>();
  let counter: CostCounter;
  let user: Tokens & { email: string; password: string };
  let devices: TestDevice[];
  let sockets: Frames[];

  beforeAll(async () => {
    const storage = await runInDurableObject(env.USER.getByName('scale-probe'), (_i, ctx) => ctx.storage);
    counter = new CostCounter(storage);
  });
  afterAll(() => vi.restoreAllMocks());

  async function measure(operation: string, run: () => Promise<void>): Promise<void> {
    counter.take();
    await run();
    await settle();
    measured.set(operation, asRow(counter.take()));
  }

  it('measures each operation', async () => {
    await measure('sign-up', async () => {
      user = await signup();
    });
    let tokens!: Tokens;
    await measure('sign-in (password, no MFA)', async () => {
      const response = await login(user.email, user.password);
      expect(response.status).toBe(200);
      tokens = (await response.json()) as Tokens;
    });
    await measure('refresh', async () => {
      const response = await call('/v1/auth/refresh', {
        method: 'POST',
        body: { refresh_token: tokens.refresh_token },
      });
      expect(response.status).toBe(200);
    });
    await measure('authenticated GET (`/v1/me`)', async () => {
      expect((await call('/v1/me', { token: user.access_token })).status).toBe(200);
    });
    devices = [await registerTestDevice(user.access_token), await registerTestDevice(user.access_token)];
    sockets = [];
    await measure('socket connect (upgrade + handshake)', async () => {
      sockets.push((await connect(devices[0]!)).frames);
    });
    sockets.push((await connect(devices[1]!)).frames);
    await settle();
    await measure('event append over HTTP, 2 devices online', async () => {
      const response = await call('/v1/events', {
        method: 'POST',
        token: user.access_token,
        body: { id: 'scale-http', stream: 'notes', payload: 1 },
      });
      expect(response.status).toBe(201);
      for (const frames of sockets) expect((await frames.next()).type).toBe('event');
    });
    await measure('event append over a socket, 1 other device online', async () => {
      const ack = await sockets[0]!.ask({ type: 'event', id: 'scale-socket', stream: 'notes', payload: 2 });
      expect(ack.type).toBe('ack');
      expect((await sockets[1]!.next()).type).toBe('event');
    });
    await measure('last socket of a device closes', async () => {
      sockets[0]!.ws.close(1000, 'done');
    });

    expect([...measured.keys()].sort()).toEqual([...doc.keys()].sort());
    for (const [operation, row] of measured) expect(row, operation).toEqual(doc.get(operation));
  });
});
