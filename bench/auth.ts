/**
 * Accounts benchmark: latency and throughput of authenticated and sign-in routes, each as a
 * ratio against the bare /health route of the same server in the same run. The sign-in
 * figures are dominated by argon2id, so they also measure its cost inside workerd.
 *
 * Run: npm run bench:auth   (starts its own wrangler dev on a loopback port)
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { progress } from '../scripts/cli.ts';
import { startDevServer } from '../scripts/dev-server.ts';
import { benchCommand, load, ms, sequential, stats, writeSection } from './measure.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const LIMITS = JSON.stringify({
  auth: { limit: 1_000_000, window_s: 60 },
  refresh: { limit: 1_000_000, window_s: 60 },
  api: { limit: 1_000_000, window_s: 60 },
});
const { seconds: LOAD_SECONDS } = benchCommand(
  'bench:auth',
  'Latency and throughput of the sign-in and authenticated routes, against the bare /health route.',
);
const CONNECTIONS = 10;
const PASSWORD = 'measured passphrase 1';

progress('Starting wrangler dev …');
const server = await startDevServer(root, { RATE_LIMITS: LIMITS });
const json = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

try {
  progress('Signing up 10 accounts …');
  const signupLatency = await sequential(10, (i) =>
    json('/v1/auth/signup', { email: `bench-${i}@example.com`, password: PASSWORD }),
  );
  const first = (await (await json('/v1/auth/login', { email: 'bench-0@example.com', password: PASSWORD })).json()) as {
    access_token: string;
    refresh_token: string;
  };
  const auth = { authorization: `Bearer ${first.access_token}` };

  progress('Sequential requests: /health, /v1/me, sign-ins, refreshes …');
  // Warm up the isolate and the actor before measuring.
  await sequential(50, () => fetch(`${server.url}/health`));
  await sequential(50, () => fetch(`${server.url}/v1/me`, { headers: auth }));

  const healthSeq = stats(await sequential(200, () => fetch(`${server.url}/health`)));
  const meSeq = stats(await sequential(200, () => fetch(`${server.url}/v1/me`, { headers: auth })));
  // Three failures per account stay under the lockout (5 in a row), which would answer 423 early.
  const wrongPassword = stats(
    await sequential(27, (i) =>
      json('/v1/auth/login', { email: `bench-${1 + (i % 9)}@example.com`, password: 'not the password' }),
    ),
  );
  const rightPassword = stats(
    await sequential(10, () => json('/v1/auth/login', { email: 'bench-0@example.com', password: PASSWORD })),
  );
  // Unknown emails lock like accounts, so these too spread three failures over each address.
  const unknownEmail = stats(
    await sequential(30, (i) =>
      json('/v1/auth/login', { email: `nobody-${i % 10}@example.com`, password: 'not the password' }),
    ),
  );
  const signup = stats(signupLatency);

  let refreshToken = first.refresh_token;
  const refreshSeq = stats(
    await sequential(100, async () => {
      const response = await json('/v1/auth/refresh', { refresh_token: refreshToken });
      const body = (await response.clone().json()) as { refresh_token: string };
      refreshToken = body.refresh_token;
      return response;
    }),
  );

  progress(`Under load: /health, then /v1/me, ${LOAD_SECONDS} s each …`);
  const healthLoad = await load(LOAD_SECONDS, CONNECTIONS, () => fetch(`${server.url}/health`));
  const meLoad = await load(LOAD_SECONDS, CONNECTIONS, () => fetch(`${server.url}/v1/me`, { headers: auth }));

  const ratio = (x: number, base: number) => (x / base).toFixed(2);
  const row = (name: string, s: ReturnType<typeof stats>) =>
    `| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p95)} | ${ratio(s.p50, healthSeq.p50)}× |`;
  const argon2 = wrongPassword.p50 - healthSeq.p50;
  const body = `
## Accounts (\`npm run bench:auth\`)

${new Date().toISOString().slice(0, 10)}, wrangler dev (local workerd), ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}.

Sequential requests, latency in ms, ratio of p50 against the bare \`/health\` route of the same run:

| route | n | p50 | p95 | × /health |
| --- | --- | --- | --- | --- |
${row('GET /health (bare route)', healthSeq)}
${row('GET /v1/me (JWT verify + user actor)', meSeq)}
${row('POST /v1/auth/refresh (rotation in the actor)', refreshSeq)}
${row('POST /v1/auth/login, wrong password (argon2id)', wrongPassword)}
${row('POST /v1/auth/login, unknown email (decoy argon2id)', unknownEmail)}
${row('POST /v1/auth/login, right password (argon2id + session)', rightPassword)}
${row('POST /v1/auth/signup (argon2id + D1 insert + actor)', signup)}

Under load (${CONNECTIONS} connections, ${LOAD_SECONDS} s each):

| route | req/s | p50 | p99 | × /health throughput |
| --- | --- | --- | --- | --- |
| GET /health | ${healthLoad.rps.toFixed(0)} | ${ms(healthLoad.latency.p50)} | ${ms(healthLoad.latency.p99)} | 1.00× |
| GET /v1/me | ${meLoad.rps.toFixed(0)} | ${ms(meLoad.latency.p50)} | ${ms(meLoad.latency.p99)} | ${ratio(meLoad.rps, healthLoad.rps)}× |

argon2id (m = 19 MiB, t = 2, p = 1) costs about **${ms(argon2)} ms** per verification in local workerd
(sign-in with a wrong password, p50, minus the bare route's p50). An unknown email takes
${ms(unknownEmail.p50)} ms (p50) and a wrong password ${ms(wrongPassword.p50)} ms: a decoy verification runs
for an unknown email, so what separates them is the user actor's round trip plus noise, inside
argon2id's own spread (p95 − p50 of a wrong password: ${ms(wrongPassword.p95 - wrongPassword.p50)} ms).
`;
  writeSection('auth', body);
  progress('Wrote the auth section of bench/RESULTS.md');
  console.log(body);
} finally {
  await server.stop();
}
