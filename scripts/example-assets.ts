/**
 * Builds the notes example (examples/notes) into `public/examples/notes/`: its page and
 * stylesheet as they are, and app.ts bundled with the client SDK for browsers by esbuild.
 * Runs with the docs assets before every `wrangler dev` (wrangler.toml's `[build]`); the
 * Worker serves them in development and tests only.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

export function writeExampleAssets(root: string, assetsDir = 'public'): void {
  const source = join(root, 'examples', 'notes');
  const out = join(root, assetsDir, 'examples', 'notes');
  mkdirSync(out, { recursive: true });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(source, file), join(out, file));
  buildSync({
    entryPoints: [join(source, 'app.ts')],
    outfile: join(out, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    logLevel: 'error',
  });
}
