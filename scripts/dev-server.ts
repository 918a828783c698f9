/**
 * A `wrangler dev` of this Worker on a free loopback port, with fresh secrets, its own state
 * directory and the D1 migrations applied, for end-to-end tests and benchmarks.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecrets } from '../scripts/secrets.ts';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;

export interface DevServer {
  url: string;
  /** A file that receives everything the server prints (log lines included) until it stops. */
  logFile: string;
  stop(): Promise<void>;
  /** Kills wrangler and workerd at once (SIGKILL), as a crash would; the state directory stays. */
  crash(): Promise<void>;
  /** Starts it again on the same port and state, and waits until it answers. */
  restart(): Promise<void>;
  /** The process group of wrangler and the workerd it started (a benchmark reads their CPU time). */
  group(): number | undefined;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not answer within ${START_TIMEOUT_MS} ms:\n${output()}`);
}

/** Process groups (wrangler and its workerd) of servers not stopped yet, with their temporary directories. */
const running = new Map<number, string>();
let exitHooked = false;

/**
 * Kills `group` and removes `dir` when this process exits without stopping the server (an
 * uncaught error, a benchmark stopped with Ctrl-C or by `timeout`), so nothing is left behind.
 */
function killOnExit(group: number, dir: string): void {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const [pid, dir] of running) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });
    // Only where nothing else handles the signal (a benchmark, a script): a test runner keeps its own.
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      if (process.listenerCount(signal) === 0) process.once(signal, () => process.exit(code));
    }
  }
  running.set(group, dir);
}

function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  const pid = child.pid;
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(force);
      running.delete(pid);
      resolve();
    });
    // The group: wrangler and the workerd it started.
    process.kill(-pid, 'SIGTERM');
  });
}

/**
 * Starts the server and resolves once `/health` answers; `stop()` ends it and its files.
 * `vars` override wrangler.toml's variables for this server (they go into its .env file);
 * `state` is a state directory to serve (and keep) instead of a new one.
 * `config` is another configuration file of this Worker (the benchmarks', with their baseline
 * beside it); `entry` serves another entry point (a benchmark's build of the Worker).
 */
export async function startDevServer(
  root: string,
  vars: Record<string, string> = {},
  options: { state?: string; config?: string; entry?: string } = {},
): Promise<DevServer> {
  const dir = mkdtempSync(join(tmpdir(), 'durable-backend-e2e-'));
  const state = options.state ?? join(dir, 'state');
  const envFile = join(dir, '.env');
  const secrets = await generateSecrets();
  writeFileSync(
    envFile,
    Object.entries({ ...secrets, ...vars })
      .map(([name, value]) => `${name}='${value}'\n`)
      .join(''),
    {
      mode: 0o600,
    },
  );
  const offline = {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_HIDE_BANNER: 'true',
    CLOUDFLARE_INCLUDE_PROCESS_ENV: 'false',
    // wrangler's local explorer traces every invocation into a SQLite file (an fsync each) on
    // the runtime's one thread; production tracing is off that path, so tests and benchmarks
    // run without it (bench/RESULTS.md, "Where the relay's time goes").
    X_LOCAL_OBSERVABILITY: process.env.X_LOCAL_OBSERVABILITY ?? 'false',
  };
  const configArgs = options.config ? ['--config', options.config] : [];
  const migrate = spawnSync(
    'wrangler',
    ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state, ...configArgs],
    { cwd: root, env: offline, encoding: 'utf8' },
  );
  if (migrate.status !== 0) throw new Error(`D1 migrations failed:\n${migrate.stdout}${migrate.stderr}`);
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const args = [
    'dev',
    ...(options.entry ? [options.entry] : []),
    '--local',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(inspectorPort),
  ];
  args.push('--env-file', envFile, '--persist-to', state, '--log-level', 'warn');
  args.push('--show-interactive-dev-session=false');
  args.push(...configArgs);
  let output = '';
  const logFile = join(dir, 'output.log');
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
    appendFileSync(logFile, chunk);
  };
  const launch = () => {
    const started = spawn('wrangler', args, {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: offline,
    });
    if (started.pid !== undefined) killOnExit(started.pid, dir);
    started.stdout?.on('data', collect);
    started.stderr?.on('data', collect);
    return started;
  };
  let child = launch();
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopGroup(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(url, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    logFile,
    stop,
    async crash() {
      if (child.exitCode !== null || child.pid === undefined) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGKILL');
      await exited;
      running.delete(child.pid);
    },
    async restart() {
      child = launch();
      await waitUntilUp(url, child, () => output);
    },
    group: () => child.pid,
  };
}
