/**
 * Soak: 30 users × 2 devices append and resume through two server crashes in a row (SIGKILL
 * of wrangler and workerd, restarted on the same state), and every device ends with every
 * event of its sibling exactly once, in seq order, and none of its own.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, generateDeviceKey, RealtimeClient, type RealtimeEvent, registerDevice } from '../client/index.ts';
import { type DevServer, startDevServer } from '../scripts/dev-server.ts';

const USERS = 30;
const PER_DEVICE = 20;
const UNLIMITED = { limit: 1_000_000, window_s: 60 };
let server: DevServer;

beforeAll(async () => {
  // Default per-device frame limit; sign-ups and reconnects from one address are not limited here.
  server = await startDevServer(fileURLToPath(new URL('..', import.meta.url)), {
    RATE_LIMITS: JSON.stringify({ auth: UNLIMITED, connect: UNLIMITED, api: UNLIMITED }),
  });
}, 90_000);

afterAll(() => server?.stop());

interface Device {
  id: string;
  client: RealtimeClient;
  received: RealtimeEvent[];
  sent: string[];
  /** How many times it became ready. */
  readies: number;
}

async function user(n: number): Promise<[Device, Device]> {
  const api = createApi({ baseUrl: server.url });
  await api.signUp({ email: `soak-${n}-${crypto.randomUUID()}@example.com`, password: 'correct horse battery staple' });
  const device = async (name: string): Promise<Device> => {
    const key = await generateDeviceKey('Ed25519');
    const { id } = await registerDevice({
      baseUrl: server.url,
      accessToken: api.accessToken,
      name,
      publicJwk: key.publicJwk,
    });
    const received: RealtimeEvent[] = [];
    const counts = { readies: 0 };
    const client = new RealtimeClient({
      baseUrl: server.url,
      deviceId: id,
      key,
      onEvent: (event) => void received.push(event),
      onStatus: (status) => {
        if (status === 'ready') counts.readies += 1;
      },
      backoff: { initialMs: 100, maxMs: 1_000 },
      connectTimeoutMs: Number.POSITIVE_INFINITY,
    });
    await client.connect();
    return {
      id,
      client,
      received,
      sent: [],
      get readies() {
        return counts.readies;
      },
    };
  };
  return [await device('a'), await device('b')];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('soak', () => {
  it('every device holds every event of its sibling exactly once after two crashes in a row', async () => {
    const pairs: [Device, Device][] = [];
    for (let i = 0; i < USERS; i += 5) pairs.push(...(await Promise.all([0, 1, 2, 3, 4].map((j) => user(i + j)))));
    const devices = pairs.flat();
    const sends = devices.map(async (device, d) => {
      const answers = [];
      for (let i = 0; i < PER_DEVICE; i++) {
        const id = `soak-${d}-${i}`;
        device.sent.push(id);
        answers.push(device.client.send({ id, stream: 'soak', payload: { d, i } }));
        await sleep(50);
      }
      return Promise.all(answers);
    });
    await sleep(300);
    await server.crash();
    await server.restart();
    // Again while the clients are resuming.
    await sleep(200);
    await server.crash();
    await server.restart();
    const answers = (await Promise.all(sends)).flat();
    // Every client lived through the crashes: connected again at least once after the first.
    expect(devices.every((device) => device.readies >= 2)).toBe(true);
    expect(answers.every((answer) => answer.type === 'ack')).toBe(true);
    const settled = () =>
      pairs.every(([a, b]) => a.received.length >= b.sent.length && b.received.length >= a.sent.length);
    for (let waited = 0; !settled() && waited < 60_000; waited += 200) await sleep(200);
    for (const [a, b] of pairs) {
      for (const [self, sibling] of [
        [a, b],
        [b, a],
      ] as const) {
        expect(self.received.map((e) => e.id).sort()).toEqual([...sibling.sent].sort());
        const seqs = self.received.map((e) => e.seq);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        expect(self.received.some((e) => e.device_id === self.id)).toBe(false);
      }
    }
    await Promise.all(devices.map((device) => device.client.close()));
  }, 240_000);
});
