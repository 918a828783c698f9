/**
 * The benchmarks' wrangler configuration: wrangler.toml plus the baseline room's Durable Object
 * binding, written beside it (its paths are relative to the repository) and removed once the server runs.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DevServer, startDevServer } from '../scripts/dev-server.ts';

export const BENCH_CONFIG = 'wrangler.bench.toml';

const ROOM = `
# Added by bench/room-server.ts: the baseline room, served beside the Worker.
[[durable_objects.bindings]]
name = "ROOM"
class_name = "RoomObject"

[[migrations]]
tag = "bench-room"
new_sqlite_classes = ["RoomObject"]
`;

/** A `wrangler dev` of `entry` (the Worker with the room beside it) under this configuration, removed once it runs. */
export async function startWithRoom(root: string, vars: Record<string, string>, entry: string): Promise<DevServer> {
  const file = join(root, BENCH_CONFIG);
  writeFileSync(file, readFileSync(join(root, 'wrangler.toml'), 'utf8') + ROOM);
  try {
    return await startDevServer(root, vars, { config: BENCH_CONFIG, entry });
  } finally {
    rmSync(file, { force: true });
  }
}
