/**
 * Realtime benchmark: append throughput (HTTP and socket) and relay latency between two
 * devices of one user, each as a ratio against the bare /health route (and, for sockets, the
 * runtime's ping auto-response) of the same server in the same run.
 *
 * Run: npm run bench:realtime   (starts its own wrangler dev on a loopback port)
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { generateDeviceKey, RealtimeClient, type RealtimeEvent, registerDevice } from '../client/index.ts';
import { progress } from '../scripts/cli.ts';
import { startDevServer } from '../scripts/dev-server.ts';
import { benchCommand, load, ms, NO_RATE_LIMITS, type Stats, sequential, stats, writeSection } from './measure.ts';
import { signUp } from './sockets.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { seconds: LOAD_SECONDS } = benchCommand(
  'bench:realtime',
  'Append throughput and relay latency between two devices of one user, against /health and ping.',
);
const CONNECTIONS = 10;
const SAMPLES = 300;
const SOCKET_APPENDS = 2_000;
const IN_FLIGHT = 32;

progress('Starting wrangler dev …');
const server = await startDevServer(root, { RATE_LIMITS: NO_RATE_LIMITS });

async function device(token: string, name: string, onEvent?: (event: RealtimeEvent) => void) {
  const key = await generateDeviceKey('Ed25519');
  const registered = await registerDevice({ baseUrl: server.url, accessToken: token, name, publicJwk: key.publicJwk });
  const client = new RealtimeClient({ baseUrl: server.url, deviceId: registered.id, key, onEvent });
  await client.connect();
  return { id: registered.id, client };
}

/** Round trips of `ping` → `pong`, answered by the runtime without waking the actor. */
async function pings(deviceId: string, count: number): Promise<number[]> {
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/v1/devices/${deviceId}/ws`);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', reject, { once: true });
  });
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await new Promise((resolve) => {
      ws.addEventListener('message', resolve, { once: true });
      ws.send('ping');
    });
    samples.push(performance.now() - start);
  }
  ws.close();
  return samples;
}

try {
  progress('Signing up and connecting two devices …');
  const { token } = await signUp(server.url, 'realtime');
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const arrivals = new Map<string, (at: number) => void>();
  const receiver = await device(token, 'receiver', (event) => arrivals.get(event.id)?.(performance.now()));
  const sender = await device(token, 'sender');

  progress(`Sequential: /health, appends, pings, acks and relays (${SAMPLES} each) …`);
  // Warm up the isolate and the actors before measuring.
  await sequential(50, () => fetch(`${server.url}/health`));
  await sequential(50, (i) =>
    fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ id: `warm-${i}`, stream: 'w', payload: i }),
    }),
  );

  const healthSeq = stats(await sequential(SAMPLES, () => fetch(`${server.url}/health`)));
  const appendSeq = stats(
    await sequential(SAMPLES, (i) =>
      fetch(`${server.url}/v1/events`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ id: `seq-${i}`, stream: 'bench', payload: { i } }),
      }),
    ),
  );
  const pingSeq = stats(await pings(sender.id, SAMPLES));

  const ackSamples: number[] = [];
  const relaySamples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const id = `relay-${i}`;
    const arrived = new Promise<number>((resolve) => arrivals.set(id, resolve));
    const start = performance.now();
    await sender.client.send({ id, stream: 'relay', payload: { i } });
    ackSamples.push(performance.now() - start);
    relaySamples.push((await arrived) - start);
    arrivals.delete(id);
  }
  const ackSeq = stats(ackSamples);
  const relaySeq = stats(relaySamples);

  progress(`Socket appends: ${SOCKET_APPENDS} events, ${IN_FLIGHT} in flight …`);
  // Socket appends with a window of acks outstanding, as a busy client would send them.
  const socketStart = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < SOCKET_APPENDS) {
        const i = next++;
        await sender.client.send({ id: `burst-${i}`, stream: 'burst', payload: { i } });
      }
    }),
  );
  const socketRps = SOCKET_APPENDS / ((performance.now() - socketStart) / 1000);

  progress(`Under load: /health, then appends, ${LOAD_SECONDS} s each …`);
  const healthLoad = await load(LOAD_SECONDS, CONNECTIONS, () => fetch(`${server.url}/health`));
  const appendLoad = await load(LOAD_SECONDS, CONNECTIONS, (i) =>
    fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ id: `load-${i}`, stream: 'load', payload: { i } }),
    }),
  );
  await Promise.all([sender.client.close(), receiver.client.close()]);

  const ratio = (x: number, base: number) => `${(x / base).toFixed(2)}×`;
  const row = (name: string, s: Stats, base: Stats, label: string) =>
    `| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ratio(s.p50, base.p50)} ${label} |`;
  const body = `
## Realtime (\`npm run bench:realtime\`)

${new Date().toISOString().slice(0, 10)}, wrangler dev (local workerd), ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}; one user, two devices connected with the client SDK (Node's WebSocket).

Sequential, latency in ms; the ratio is p50 against the baseline it names:

| what | n | p50 | p95 | p99 | p50 ratio |
| --- | --- | --- | --- | --- | --- |
${row('GET /health (bare route)', healthSeq, healthSeq, '/health')}
${row('POST /v1/events (JWT + user actor: authorize, append)', appendSeq, healthSeq, '/health')}
${row('socket ping → pong (runtime auto-response)', pingSeq, pingSeq, 'ping')}
${row('socket event → ack (device actor → user actor → back)', ackSeq, pingSeq, 'ping')}
${row('relay: event sent by A → received by B', relaySeq, pingSeq, 'ping')}
${row('relay against the bare route', relaySeq, healthSeq, '/health')}

Throughput (both devices stay connected, so every append is also relayed):

| what | events/s | × /health req/s |
| --- | --- | --- |
| GET /health, ${CONNECTIONS} connections, ${LOAD_SECONDS} s | ${healthLoad.rps.toFixed(0)} | 1.00× |
| POST /v1/events, ${CONNECTIONS} connections, ${LOAD_SECONDS} s | ${appendLoad.rps.toFixed(0)} | ${ratio(appendLoad.rps, healthLoad.rps)} |
| socket appends, one device, ${IN_FLIGHT} in flight, ${SOCKET_APPENDS} events | ${socketRps.toFixed(0)} | ${ratio(socketRps, healthLoad.rps)} |

Every append is one SQLite transaction in the user's actor (seq, idempotency and key version
checked there), so one user's appends are serialised by design; throughput across users grows
with the number of actors until the runtime's one thread is full (the relay section's paced series).
`;
  writeSection('realtime', body);
  progress('Wrote the realtime section of bench/RESULTS.md');
  console.log(body);
} finally {
  await server.stop();
}
