/**
 * The relay against a one-actor baseline, and throughput across users.
 *
 * 1. Relay latency A → B: this API (device actor → user actor's log → device actor) against a
 *    one-room relay in a single Durable Object that also stores each message before it
 *    broadcasts (bench/baseline), served beside the Worker by the same `wrangler dev`, in
 *    alternating rounds of the same run.
 * 2. POST /v1/events against GET /v1/me, alternating sequential requests.
 * 3. Socket appends with 1, 10 and 50 users of two devices each, every device appending with a
 *    window in flight; HTTP appends to the same users meanwhile, from a thread of their own
 *    (their latency under that load), and the CPU the runtime and the load generator used.
 *
 * Run: npm run bench:relay   (starts both servers on loopback ports)
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { progress } from '../scripts/cli.ts';
import { startDevServer } from '../scripts/dev-server.ts';
import { writeBenchConfig } from './baseline/config.ts';
import { ROOM_PATH } from './baseline/path.ts';
import { workerdCpuSeconds } from './cpu.ts';
import { benchCommand, ms, type Stats, stats, writeSection } from './measure.ts';
import { type BenchSocket, deviceSocket, relayOnce, roomSocket } from './sockets.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const UNLIMITED = { limit: 1_000_000, window_s: 60 };
const LIMITS = JSON.stringify({ auth: UNLIMITED, api: UNLIMITED, ws: UNLIMITED, connect: UNLIMITED });
const { seconds: LOAD_SECONDS } = benchCommand(
  'bench:relay',
  'Relay latency against a one-actor baseline, and throughput across users.',
);
const ROUNDS = 10;
const PER_ROUND = 30;
const USER_COUNTS = [1, 10, 50];
const IN_FLIGHT = 8;

progress('Starting wrangler dev (this API, and the baseline room beside it) …');
const benchConfig = writeBenchConfig(root);
const server = await startDevServer(
  root,
  { RATE_LIMITS: LIMITS },
  { config: benchConfig.config, entry: 'bench/baseline/with-room.ts' },
).finally(benchConfig.remove);

async function signUp(n: number): Promise<string> {
  const response = await fetch(`${server.url}/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `relay-${n}-${crypto.randomUUID()}@example.com`,
      password: 'benchmark passphrase 1',
    }),
  });
  if (response.status !== 201) throw new Error(`sign-up failed: ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** `users` users of two connected devices each, signed up four at a time. */
async function usersWithDevices(count: number) {
  const users: { token: string; devices: [BenchSocket, BenchSocket] }[] = [];
  for (let i = 0; i < count; i += 4) {
    const batch = Array.from({ length: Math.min(4, count - i) }, async (_, j) => {
      const token = await signUp(i + j);
      const devices: [BenchSocket, BenchSocket] = [
        await deviceSocket(server.url, token, 'a'),
        await deviceSocket(server.url, token, 'b'),
      ];
      return { token, devices };
    });
    users.push(...(await Promise.all(batch)));
  }
  return users;
}

/** Appends `perDevice` events from every device, `IN_FLIGHT` unacked at a time; events per second. */
async function socketAppends(devices: BenchSocket[], perDevice: number, tag: string): Promise<number> {
  const start = performance.now();
  await Promise.all(
    devices.map(
      (device, d) =>
        new Promise<void>((resolve) => {
          let sent = 0;
          let acked = 0;
          const sendOne = () =>
            device.send({ type: 'event', id: `${tag}-${d}-${sent++}`, stream: 'load', payload: sent });
          device.onFrame = (frame) => {
            if (frame.type !== 'ack') return;
            acked += 1;
            if (acked === perDevice) resolve();
            else if (sent < perDevice) sendOne();
          };
          for (let i = 0; i < Math.min(IN_FLIGHT, perDevice); i++) sendOne();
        }),
    ),
  );
  return (devices.length * perDevice) / ((performance.now() - start) / 1000);
}

try {
  progress('Relay A → B: this API and the baseline, in alternating rounds …');
  const [user] = await usersWithDevices(1);
  const [a, b] = user!.devices;
  const room = `${server.url}${ROOM_PATH}`;
  const [roomA, roomB] = [await roomSocket(room), await roomSocket(room)];
  const ours: number[] = [];
  const theirs: number[] = [];
  let n = 0;
  const oursRound = async () => {
    for (let i = 0; i < PER_ROUND; i++) {
      ours.push(await relayOnce(a, b, { type: 'event', id: `r-${n++}`, stream: 'relay', payload: { i } }));
    }
  };
  const theirsRound = async () => {
    for (let i = 0; i < PER_ROUND; i++) theirs.push(await relayOnce(roomA, roomB, { id: `r-${n++}`, payload: { i } }));
  };
  // A warm-up round of each, not counted.
  await oursRound();
  await theirsRound();
  ours.length = 0;
  theirs.length = 0;
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      await oursRound();
      await theirsRound();
    } else {
      await theirsRound();
      await oursRound();
    }
  }

  progress('POST /v1/events against GET /v1/me, alternating …');
  const auth = { authorization: `Bearer ${user!.token}`, 'content-type': 'application/json' };
  const me: number[] = [];
  const post: number[] = [];
  const timed = async (into: number[], request: () => Promise<Response>) => {
    const start = performance.now();
    const response = await request();
    await response.arrayBuffer();
    into.push(performance.now() - start);
  };
  for (let i = 0; i < 20 + ROUNDS * PER_ROUND; i++) {
    const [meInto, postInto] = i < 20 ? [[], []] : [me, post];
    await timed(meInto, () => fetch(`${server.url}/v1/me`, { headers: auth }));
    await timed(postInto, () =>
      fetch(`${server.url}/v1/events`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ id: `http-${i}`, stream: 'http', payload: i }),
      }),
    );
  }

  const throughput: {
    users: number;
    rps: number;
    http: Stats;
    health: Stats;
    runtime: number;
    proxy: number;
    generator: number;
  }[] = [];
  const all = [user!, ...(await usersWithDevices(Math.max(...USER_COUNTS) - 1))];
  for (const count of USER_COUNTS) {
    progress(`Throughput: ${count} users × 2 devices, ${IN_FLIGHT} in flight each, with HTTP appends alongside …`);
    const users = all.slice(0, count);
    const perDevice = Math.max(20, Math.round((LOAD_SECONDS * 300) / (count * 2)));
    const side = new Worker(new URL('./http-side.ts', import.meta.url), {
      workerData: { url: server.url, tokens: users.map((u) => u.token), tag: String(count) },
    });
    const sideDone = new Promise<{ http: number[]; health: number[] }>((resolve, reject) => {
      side.once('message', resolve);
      side.once('error', reject);
    });
    const [cpuBefore, generatorBefore, wallBefore] = [
      workerdCpuSeconds(server.group(), server.url),
      process.cpuUsage(),
      performance.now(),
    ];
    const rps = await socketAppends(
      users.flatMap((u) => u.devices),
      perDevice,
      `load-${count}`,
    );
    const wall = (performance.now() - wallBefore) / 1000;
    const generator = process.cpuUsage(generatorBefore);
    const cpuAfter = workerdCpuSeconds(server.group(), server.url);
    side.postMessage('stop');
    const { http, health } = await sideDone;
    await side.terminate();
    throughput.push({
      users: count,
      rps,
      http: stats(http),
      health: stats(health),
      runtime: (cpuAfter.runtime - cpuBefore.runtime) / wall,
      proxy: (cpuAfter.proxy - cpuBefore.proxy) / wall,
      generator: (generator.user + generator.system) / 1e6 / wall,
    });
  }
  for (const u of all) for (const d of u.devices) d.close();
  roomA.close();
  roomB.close();

  const [o, t, m, p] = [stats(ours), stats(theirs), stats(me), stats(post)];
  const row = (name: string, s: Stats, base: Stats) =>
    `| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${(s.p50 / base.p50).toFixed(2)}× |`;
  const single = throughput[0]!.rps;
  const body = `
## Relay against a one-actor baseline, and users (\`npm run bench:relay\`)

${new Date().toISOString().slice(0, 10)}, one \`wrangler dev\` (local workerd, without wrangler's local trace store: see "Where the relay's time goes") serving this Worker and the baseline room beside it (bench/baseline/with-room.ts), ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}; raw WebSockets from Node, the load generator on the same cores: absolute figures are noisy, compare ratios within the run.

Relay A → B, ${ROUNDS} alternating rounds of ${PER_ROUND} (latency in ms, ratio of p50 against the baseline):

| what | n | p50 | p95 | p99 | p50 ratio |
| --- | --- | --- | --- | --- | --- |
${row('baseline: one room actor, stores then broadcasts', t, t)}
${row('this API: device actor → user log → device actor', o, t)}

Alternating sequential requests of one user:

| what | n | p50 | p95 | p99 | p50 ratio |
| --- | --- | --- | --- | --- | --- |
${row('GET /v1/me (JWT + one user-actor RPC)', m, m)}
${row('POST /v1/events (JWT + one RPC: admit and append)', p, m)}

Socket appends across users (two devices per user, each with ${IN_FLIGHT} events in flight; every append is also relayed to the other device). Alongside, from a thread of its own: one HTTP append at a time to the same users, and one GET /health at a time (latency in ms). CPU in cores (1.00 = one core busy the whole phase), from /proc for the two workerd processes of \`wrangler dev\` (the runtime running the Worker and its actors, and wrangler's proxy on the public port) and from \`process.cpuUsage()\` for the load generator (this Node process):

| users × devices | events/s | × one user | runtime CPU | proxy CPU | load generator CPU | HTTP append n / p50 / p99 | GET /health n / p50 / p99 |
| --- | --- | --- | --- | --- | --- | --- | --- |
${throughput.map((x) => `| ${x.users} × 2 | ${x.rps.toFixed(0)} | ${(x.rps / single).toFixed(2)}× | ${x.runtime.toFixed(2)} | ${x.proxy.toFixed(2)} | ${x.generator.toFixed(2)} | ${x.http.n} / ${ms(x.http.p50)} / ${ms(x.http.p99)} | ${x.health.n} / ${ms(x.health.p50)} / ${ms(x.health.p99)} |`).join('\n')}
`;
  writeSection('relay', body);
  progress('Wrote the relay section of bench/RESULTS.md');
  console.log(body);
} finally {
  await server.stop();
}
