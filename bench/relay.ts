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
 * Run: npm run bench:relay   (starts its own wrangler dev on a loopback port)
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { progress } from '../scripts/cli.ts';
import { ROOM_PATH } from './baseline/path.ts';
import { workerdCpuSeconds } from './cpu.ts';
import { benchCommand, ms, NO_RATE_LIMITS, type Stats, stats, timed, writeSection } from './measure.ts';
import { startWithRoom } from './room-server.ts';
import { type BenchSocket, deviceSocket, type Frame, relayOnce, roomSocket, signUp } from './sockets.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { seconds: LOAD_SECONDS } = benchCommand(
  'bench:relay',
  'Relay latency against a one-actor baseline, and throughput across users.',
);
const ROUNDS = 10;
const PER_ROUND = 30;
const USER_COUNTS = [1, 10, 50];
const IN_FLIGHT = 8;
/** The paced series: each device sends one event, waits for its ack, then this long before the next. */
const THINK_MS = 20;
const PACED_USER_COUNTS = [1, 5, 10, 25, 50];

progress('Starting wrangler dev (this API, and the baseline room beside it) …');
const server = await startWithRoom(root, { RATE_LIMITS: NO_RATE_LIMITS }, 'bench/baseline/with-room.ts');

/** `users` users of two connected devices each, signed up four at a time. */
async function usersWithDevices(count: number) {
  const users: { token: string; devices: [BenchSocket, BenchSocket] }[] = [];
  for (let i = 0; i < count; i += 4) {
    const batch = Array.from({ length: Math.min(4, count - i) }, async (_, j) => {
      const { token } = await signUp(server.url, `relay-${i + j}`);
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
async function socketAppends(
  devices: BenchSocket[],
  perDevice: number,
  frame: (device: number, i: number) => Frame,
): Promise<number> {
  const start = performance.now();
  await Promise.all(
    devices.map(
      (device, d) =>
        new Promise<void>((resolve) => {
          let sent = 0;
          let acked = 0;
          const sendOne = () => device.send(frame(d, sent++));
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

  progress('Runtime CPU per event: this API and the baseline, one sender with a window in flight …');
  /** `from` sends `count` events, IN_FLIGHT unacked at a time; events per second and runtime CPU ms per event. */
  const cpuPerEvent = async (from: BenchSocket, count: number, frame: (i: number) => Frame) => {
    const cpuBefore = workerdCpuSeconds(server.group(), server.url).runtime;
    const rate = await socketAppends([from], count, (_, i) => frame(i));
    const cpu = workerdCpuSeconds(server.group(), server.url).runtime - cpuBefore;
    return { rate, cpuMs: (cpu * 1000) / count };
  };
  const ourFrame = (i: number) => ({ type: 'event', id: `cpu-${n++}`, stream: 'cpu', payload: { i } });
  const roomFrame = (i: number) => ({ id: `cpu-${n++}`, payload: { i } });
  await cpuPerEvent(a, 300, ourFrame);
  await cpuPerEvent(roomA, 300, roomFrame);
  const cpuRounds: { ours: { rate: number; cpuMs: number }[]; room: { rate: number; cpuMs: number }[] } = {
    ours: [],
    room: [],
  };
  for (let round = 0; round < 4; round++) {
    const oursFirst = round % 2 === 0;
    if (oursFirst) cpuRounds.ours.push(await cpuPerEvent(a, 1500, ourFrame));
    cpuRounds.room.push(await cpuPerEvent(roomA, 1500, roomFrame));
    if (!oursFirst) cpuRounds.ours.push(await cpuPerEvent(a, 1500, ourFrame));
  }

  progress('POST /v1/events against GET /v1/me, alternating, for a user with two devices online and one with none …');
  /** One GET /v1/me then one POST /v1/events of `token`, into `me` and `post` unless warming up. */
  const pair = async (token: string, i: number, me: number[], post: number[]) => {
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await timed(me, () => fetch(`${server.url}/v1/me`, { headers: auth }));
    await timed(post, () =>
      fetch(`${server.url}/v1/events`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ id: `http-${i}`, stream: 'http', payload: i }),
      }),
    );
  };
  const { token: offline } = await signUp(server.url, 'relay-offline');
  const [me, post, meOffline, postOffline]: [number[], number[], number[], number[]] = [[], [], [], []];
  for (let i = 0; i < 20 + ROUNDS * PER_ROUND; i++) {
    const warm = i < 20;
    await pair(user!.token, i, warm ? [] : me, warm ? [] : post);
    await pair(offline, i, warm ? [] : meOffline, warm ? [] : postOffline);
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
      (d, i) => ({
        type: 'event',
        id: `load-${count}-${d}-${i}`,
        stream: 'load',
        payload: i + 1,
      }),
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
  // Paced senders: a user's load is bounded by its devices' pace, not by the runtime, so the
  // series shows where adding users stops adding events (the runtime's thread full, or an actor).
  const paced: { users: number; rps: number; runtime: number }[] = [];
  for (const count of PACED_USER_COUNTS) {
    progress(`Paced: ${count} users × 2 devices, one event in flight each and ${THINK_MS} ms between …`);
    const devices = all.slice(0, count).flatMap((u) => u.devices);
    const [cpuBefore, wallBefore] = [workerdCpuSeconds(server.group(), server.url).runtime, performance.now()];
    const end = wallBefore + LOAD_SECONDS * 1000;
    let acked = 0;
    const stalled = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('paced devices stopped getting acks')), LOAD_SECONDS * 1000 + 30_000).unref(),
    );
    await Promise.race([
      stalled,
      Promise.all(
        devices.map(
          (device, d) =>
            new Promise<void>((resolve) => {
              let sent = 0;
              const sendOne = () =>
                device.send({ type: 'event', id: `paced-${count}-${d}-${sent++}`, stream: 'paced', payload: sent });
              device.onFrame = (frame) => {
                if (frame.type !== 'ack') return;
                acked += 1;
                if (performance.now() >= end) resolve();
                else setTimeout(sendOne, THINK_MS);
              };
              sendOne();
            }),
        ),
      ),
    ]);
    const wall = (performance.now() - wallBefore) / 1000;
    const cpu = workerdCpuSeconds(server.group(), server.url).runtime - cpuBefore;
    paced.push({ users: count, rps: acked / wall, runtime: cpu / wall });
  }
  for (const u of all) for (const d of u.devices) d.close();
  roomA.close();
  roomB.close();

  const [o, t, m, p] = [stats(ours), stats(theirs), stats(me), stats(post)];
  const [mo, po] = [stats(meOffline), stats(postOffline)];
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

One sender with ${IN_FLIGHT} events in flight (this API: device A, every event also relayed to device B; the baseline: one room member, every message broadcast to the other), 4 alternating rounds of 1,500; CPU of the runtime's workerd per event, from /proc:

| what | events/s (rounds) | runtime CPU per event, ms (rounds) |
| --- | --- | --- |
| baseline: one room actor | ${cpuRounds.room.map((x) => x.rate.toFixed(0)).join(', ')} | ${cpuRounds.room.map((x) => x.cpuMs.toFixed(2)).join(', ')} |
| this API: device actor → user log → device actor | ${cpuRounds.ours.map((x) => x.rate.toFixed(0)).join(', ')} | ${cpuRounds.ours.map((x) => x.cpuMs.toFixed(2)).join(', ')} |

Alternating sequential requests (GET then POST of one user, then of the other): a user whose two devices stay online, so each append is also relayed to both (two delivery RPCs on the runtime's thread as the answer leaves), and a user with no device online:

| what | n | p50 | p95 | p99 | p50 ratio |
| --- | --- | --- | --- | --- | --- |
${row('GET /v1/me (JWT + one user-actor RPC), two devices online', m, m)}
${row('POST /v1/events (JWT + one RPC: admit and append), two devices online', p, m)}
${row('GET /v1/me, no device online', mo, mo)}
${row('POST /v1/events, no device online', po, mo)}

Socket appends across users (two devices per user, each with ${IN_FLIGHT} events in flight; every append is also relayed to the other device). Alongside, from a thread of its own: one HTTP append at a time to the same users, and one GET /health at a time (latency in ms). CPU in cores (1.00 = one core busy the whole phase), from /proc for the two workerd processes of \`wrangler dev\` (the runtime running the Worker and its actors, and wrangler's proxy on the public port) and from \`process.cpuUsage()\` for the load generator (this Node process):

| users × devices | events/s | × one user | runtime CPU | proxy CPU | load generator CPU | HTTP append n / p50 / p99 | GET /health n / p50 / p99 |
| --- | --- | --- | --- | --- | --- | --- | --- |
${throughput.map((x) => `| ${x.users} × 2 | ${x.rps.toFixed(0)} | ${(x.rps / single).toFixed(2)}× | ${x.runtime.toFixed(2)} | ${x.proxy.toFixed(2)} | ${x.generator.toFixed(2)} | ${x.http.n} / ${ms(x.http.p50)} / ${ms(x.http.p99)} | ${x.health.n} / ${ms(x.health.p50)} / ${ms(x.health.p99)} |`).join('\n')}

The same users with paced devices (one event in flight each, ${THINK_MS} ms after each ack before the next), ${LOAD_SECONDS} s per step: events per second grow with users until the runtime's thread is full:

| users × devices | events/s | × one user | runtime CPU |
| --- | --- | --- | --- |
${paced.map((x) => `| ${x.users} × 2 | ${x.rps.toFixed(0)} | ${(x.rps / paced[0]!.rps).toFixed(2)}× | ${x.runtime.toFixed(2)} |`).join('\n')}
`;
  writeSection('relay', body);
  progress('Wrote the relay section of bench/RESULTS.md');
  console.log(body);
} finally {
  await server.stop();
}
