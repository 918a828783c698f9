/**
 * Where the relay's milliseconds go: a timing build of the Worker (bench/timing/worker.ts)
 * notes `performance.now()` as each event passes a hop, and this script relays events from
 * device A to device B one at a time and splits each relay into its hops.
 *
 * Run: npm run bench:hops
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { progress } from '../scripts/cli.ts';
import { ROOM_PATH } from './baseline/path.ts';
import { benchCommand, ms, NO_RATE_LIMITS, type Stats, stats, writeSection } from './measure.ts';
import { startWithRoom } from './room-server.ts';
import { type BenchSocket, deviceSocket, type Frame, relayOnce, roomSocket, signUp } from './sockets.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
benchCommand('bench:hops', 'Splits the relay A → B into its hops, with a timing build of the Worker.');
const COUNT = 400;
const WARM_UP = 50;

type Hop = 'device_in' | 'user_in' | 'relay_call' | 'user_out' | 'deliver_in' | 'sent';
type Notes = Record<string, Partial<Record<Hop, number>>>;

const ROUNDS = 8;

progress('Starting wrangler dev with the timing build (this API and the baseline room beside it) …');
const server = await startWithRoom(root, { RATE_LIMITS: NO_RATE_LIMITS }, 'bench/timing/worker.ts');
try {
  const { token } = await signUp(server.url, 'hops');
  const a = await deviceSocket(server.url, token, 'a');
  const b = await deviceSocket(server.url, token, 'b');
  const [roomA, roomB] = [await roomSocket(`${server.url}${ROOM_PATH}`), await roomSocket(`${server.url}${ROOM_PATH}`)];

  progress(`Relaying ${COUNT} events A → B on each, one at a time, in ${ROUNDS} alternating rounds …`);
  /** ms from A's send to B's receipt, by event id: this API's, and the room's. */
  const clients = new Map<string, number>();
  const roomClients = new Map<string, number>();
  let n = 0;
  const relays =
    (from: BenchSocket, to: BenchSocket, into: Map<string, number>, frame: (id: string, i: number) => Frame) =>
    async (count: number, keep: boolean) => {
      for (let i = 0; i < count; i++) {
        const id = `hop-${n++}`;
        const took = await relayOnce(from, to, frame(id, i));
        if (keep) into.set(id, took);
      }
    };
  const round = relays(a, b, clients, (id, i) => ({ type: 'event', id, stream: 'hops', payload: { i } }));
  const roomRound = relays(roomA, roomB, roomClients, (id, i) => ({ id, payload: { i } }));
  await round(WARM_UP, false);
  await roomRound(WARM_UP, false);
  for (let r = 0; r < ROUNDS; r++) {
    const [first, second] = r % 2 === 0 ? [round, roomRound] : [roomRound, round];
    await first(COUNT / ROUNDS, true);
    await second(COUNT / ROUNDS, true);
  }
  const notes = (await (await fetch(`${server.url}/__bench/hops`)).json()) as Notes;
  for (const socket of [a, b, roomA, roomB]) socket.close();

  const roomTotal = stats([...roomClients.values()]);
  const ids = [...clients.keys()];
  const spans = (span: (n: Partial<Record<Hop, number>>, took: number) => number | undefined) =>
    stats(
      ids.flatMap((id) => {
        const value = span(notes[id] ?? {}, clients.get(id)!);
        return value === undefined || Number.isNaN(value) ? [] : [value];
      }),
    );
  const between = (from: Hop, to: Hop) => spans((n) => (n[to] ?? Number.NaN) - (n[from] ?? Number.NaN));
  const total = spans((_, took) => took);
  const outside = spans((n, took) => took - ((n.sent ?? Number.NaN) - (n.device_in ?? Number.NaN)));
  const inServer = between('device_in', 'sent');
  const row = (name: string, s: Stats) => `| ${name} | ${s.n} | ${ms(s.mean)} | ${ms(s.p50)} | ${ms(s.p95)} |`;
  const body = `
## Where the relay's time goes (\`npm run bench:hops\`)

${new Date().toISOString().slice(0, 10)}, \`wrangler dev bench/timing/worker.ts\` (local workerd: this Worker with its actors subclassed to note \`performance.now()\` at each hop), ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}; one user, two devices on raw WebSockets from Node, ${COUNT} events relayed one at a time through each, in ${ROUNDS} alternating rounds after ${WARM_UP} not counted. Latency in ms; workerd's clock moves only between I/O, so a hop without I/O reads 0 and means are the fairer figure. 

| hop | n | mean | p50 | p95 |
| --- | --- | --- | --- | --- |
${row('A → B as the client sees it', total)}
${row('outside the actors: the frame into device A, and out of device B to client B', outside)}
${row('device A: frame read, checked, and its RPC reaching the user actor', between('device_in', 'user_in'))}
${row('user actor: the append transaction, until the relay call leaves', between('user_in', 'relay_call'))}
${row('relay call → device B: the output gate (the append commit) and the hop', between('relay_call', 'deliver_in'))}
${row('device B: order check and the send', between('deliver_in', 'sent'))}
${row('(the user actor’s whole append call, scheduling included)', between('user_in', 'user_out'))}
${row('(inside the actors: device A in → device B sent)', inServer)}

The baseline room (bench/baseline/room.ts), served beside the Worker by the same \`wrangler dev\`, in alternating rounds of the same run (its insert, commit and broadcast run without I/O in between, so only the whole is measured):

| hop | n | mean | p50 | p95 |
| --- | --- | --- | --- | --- |
${row('A → B as the client sees it', roomTotal)}
`;
  writeSection('hops', body);
  progress('Wrote the hops section of bench/RESULTS.md');
  console.log(body);
} finally {
  await server.stop();
}
