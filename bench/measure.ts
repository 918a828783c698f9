/** Timing helpers for the benchmarks: latency percentiles, a concurrent load loop, results. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

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

/** Runs `request` one at a time `count` times; returns the latencies in ms. */
export async function sequential(count: number, request: (i: number) => Promise<Response>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const response = await request(i);
    await response.arrayBuffer();
    if (response.status >= 500) throw new Error(`request failed with ${response.status}`);
    samples.push(performance.now() - start);
  }
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
