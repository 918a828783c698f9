/**
 * The HTTP traffic bench/relay.ts sends beside the socket load, in a worker thread of its own:
 * one POST /v1/events at a time to the load's users, and one GET /health at a time, until told
 * to stop. On its own event loop, so a busy load generator does not delay these requests.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { timed } from './measure.ts';

const { url, tokens, tag } = workerData as { url: string; tokens: string[]; tag: string };
let running = true;
parentPort?.on('message', () => {
  running = false;
});

const http: number[] = [];
const health: number[] = [];
await Promise.all([
  (async () => {
    while (running) await timed(health, () => fetch(`${url}/health`));
  })(),
  (async () => {
    for (let i = 0; running; i++) {
      const token = tokens[i % tokens.length];
      await timed(http, () =>
        fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ id: `side-${tag}-${i}`, stream: 'side', payload: i }),
        }),
      );
    }
  })(),
]);
parentPort?.postMessage({ http, health });
