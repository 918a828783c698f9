/** Where a restore reads an export from: R2 through wrangler (local or remote), or a local directory. */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { ACTOR_ROOT } from '../../core/backup/actor-format.ts';
import type { ObjectReader } from '../../core/backup/load.ts';
import { locationFlags, wrangler } from './wrangler.ts';

/** The bucket bound as BACKUPS in wrangler.toml. */
export function backupBucket(configPath = 'wrangler.toml'): string | null {
  const config = readFileSync(configPath, 'utf8');
  for (const block of config.split(/^\[\[r2_buckets\]\]\s*$/m).slice(1)) {
    const section = block.split(/^\[/m)[0]!;
    if (/^\s*binding\s*=\s*"BACKUPS"/m.test(section))
      return /^\s*bucket_name\s*=\s*"([^"]+)"/m.exec(section)?.[1] ?? null;
  }
  return null;
}

/**
 * Objects from a directory holding one run's files (`manifest.json`, `<table>.ndjson.gz`) and,
 * beside them, the users' folders as R2 holds them (`actors/users/<id>/…`).
 */
export function directoryReader(dir: string, prefix: string): ObjectReader {
  return async (key) => {
    const path = key.startsWith(prefix)
      ? key.slice(prefix.length)
      : key.startsWith(ACTOR_ROOT) && !key.includes('..')
        ? key
        : null;
    if (path === null) return null;
    try {
      return new Uint8Array(await readFile(join(dir, path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  };
}

/** Objects from R2 with `wrangler r2 object get`, through a private temporary file each. */
export function r2Reader(bucket: string, location: { remote: boolean; persistTo?: string }): ObjectReader {
  return async (key) => {
    const dir = await mkdtemp(join(tmpdir(), 'restore-object-'));
    const file = join(dir, 'object');
    try {
      const outcome = wrangler(['r2', 'object', 'get', `${bucket}/${key}`, '--file', file, ...locationFlags(location)]);
      if (!outcome.ok) {
        if (/does not exist|not found/i.test(outcome.stdout + outcome.stderr)) return null;
        throw new Error(`wrangler r2 object get ${bucket}/${key} failed:\n${outcome.stderr || outcome.stdout}`);
      }
      return new Uint8Array(await readFile(file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/**
 * Objects from the R2 bucket of a local wrangler state directory, read in this process through
 * miniflare (the library wrangler itself uses), without a wrangler process per object.
 */
export async function localR2Reader(
  state: string,
  bucket: string,
): Promise<{ read: ObjectReader; close(): Promise<void> }> {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
      resourcePersistencePath: join(state, 'v3'),
      r2Buckets: { BACKUPS: bucket },
    }),
  );
  const r2 = await mf.getR2Bucket('BACKUPS');
  return {
    read: async (key) => {
      const object = await r2.get(key);
      return object ? new Uint8Array(await object.arrayBuffer()) : null;
    },
    close: () => mf.dispose(),
  };
}
