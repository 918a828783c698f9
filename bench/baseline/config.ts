/**
 * The benchmarks' wrangler configuration: wrangler.toml plus the baseline room's Durable Object
 * binding, written beside it (its paths are relative to the repository) and removed after the run.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BENCH_CONFIG = 'wrangler.bench.toml';

const ROOM = `
# Added by bench/baseline/config.ts: the baseline room, served beside the Worker.
[[durable_objects.bindings]]
name = "ROOM"
class_name = "RoomObject"

[[migrations]]
tag = "bench-room"
new_sqlite_classes = ["RoomObject"]
`;

/** Writes the configuration and returns its path (relative to `root`) and a way to remove it. */
export function writeBenchConfig(root: string): { config: string; remove: () => void } {
  const file = join(root, BENCH_CONFIG);
  writeFileSync(file, readFileSync(join(root, 'wrangler.toml'), 'utf8') + ROOM);
  return { config: BENCH_CONFIG, remove: () => rmSync(file, { force: true }) };
}
