/** Timing helpers for the benchmarks: latency percentiles, a concurrent load loop, results. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { integerArg, parseCommand } from '../scripts/cli.ts';

export interface Stats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length);
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), mean };
}

/** RATE_LIMITS for a benchmark's server: every bucket it uses far out of reach. */
const OUT_OF_REACH = { limit: 1_000_000, window_s: 60 };
export const NO_RATE_LIMITS = JSON.stringify({
  auth: OUT_OF_REACH,
  api: OUT_OF_REACH,
  ws: OUT_OF_REACH,
  connect: OUT_OF_REACH,
});

/** Sends `request`, reads its body, and adds its latency in ms to `into`; a 5xx throws. */
export async function timed(into: number[], request: () => Promise<Response>): Promise<void> {
  const start = performance.now();
  const response = await request();
  await response.arrayBuffer();
  if (response.status >= 500) throw new Error(`request failed with ${response.status}`);
  into.push(performance.now() - start);
}

/** Runs `request` one at a time `count` times; returns the latencies in ms. */
export async function sequential(count: number, request: (i: number) => Promise<Response>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) await timed(samples, () => request(i));
  return samples;
}

/** Keeps `connections` requests in flight for `seconds`; returns requests per second and latencies. */
export async function load(
  seconds: number,
  connections: number,
  request: (i: number) => Promise<Response>,
): Promise<{ rps: number; latency: Stats }> {
  const end = performance.now() + seconds * 1000;
  const samples: number[] = [];
  let issued = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const i = issued++;
      const start = performance.now();
      const response = await request(i);
      await response.arrayBuffer();
      if (response.status >= 500) throw new Error(`request failed with ${response.status}`);
      samples.push(performance.now() - start);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  return { rps: samples.length / ((performance.now() - began) / 1000), latency: stats(samples) };
}

export const ms = (x: number) => x.toFixed(1);

/** Replaces this benchmark's section of bench/RESULTS.md, leaving the others alone. */
export function writeSection(name: string, body: string): void {
  const file = new URL('./RESULTS.md', import.meta.url);
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const current = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Benchmark results\n\nWritten by the scripts in bench/; each section is replaced by its own script.\n';
  const section = `${start}\n${body.trim()}\n${end}`;
  const pattern = new RegExp(`${start}[\\s\\S]*?${end}`);
  writeFileSync(
    file,
    pattern.test(current) ? current.replace(pattern, section) : `${current.trimEnd()}\n\n${section}\n`,
  );
}

/** The command line every benchmark shares: `--help`, and `--seconds` for each load phase. */
export function benchCommand(name: string, about: string): { seconds: number } {
  const usage = `Usage: npm run ${name} [-- --seconds <n>]

${about}
Starts its own wrangler dev on a free loopback port, prints progress on stderr and the results
as Markdown on stdout, and replaces its section of bench/RESULTS.md.

  --seconds <n>   length of each load phase, 1 to 600 (default: BENCH_SECONDS, else 8)`;
  const { values } = parseCommand({ name, usage, options: { seconds: { type: 'string' } } });
  const raw = values.seconds ?? process.env.BENCH_SECONDS ?? '8';
  return { seconds: integerArg(name, values.seconds ? '--seconds' : 'BENCH_SECONDS', raw, 1, 600) };
}
