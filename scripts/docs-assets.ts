/**
 * Fills `public/docs/` (git-ignored) with the files of the /docs page: Swagger UI's script and
 * stylesheet from the pinned `swagger-ui-dist`, and the page's start-up script. Workers static
 * assets serve them, so they stay out of the Worker's bundle. Runs as wrangler.toml's `[build]`
 * command (before every `wrangler dev` and `wrangler deploy`) and from the test configurations.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommand } from './cli.ts';
import { writeExampleAssets } from './example-assets.ts';

/** Where wrangler.toml's `[assets]` directory points, relative to the project. */
export const ASSETS_DIR = 'public';

// An inline script would need 'unsafe-inline': the start-up code is a file of its own.
// validatorUrl null: no call to the public validator service.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
`;

const PAGE_STYLES =
  'html{box-sizing:border-box;overflow-y:scroll}*,*::before,*::after{box-sizing:inherit}body{margin:0;background:#fafafa}';

/** Writes the files under `<root>/public/docs/`; returns their names. */
export function writeDocsAssets(root: string): string[] {
  const dist = dirname(createRequire(join(root, 'package.json')).resolve('swagger-ui-dist/package.json'));
  const read = (name: string) => readFileSync(join(dist, name), 'utf8');
  const files: Record<string, string> = {
    'swagger-ui-bundle.js': read('swagger-ui-bundle.js'),
    // The source map is not shipped; drop the comment that points at it.
    'swagger-ui.css': `${read('swagger-ui.css').replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/, '')}\n${PAGE_STYLES}\n`,
    'init.js': INIT,
  };
  const out = join(root, ASSETS_DIR, 'docs');
  mkdirSync(out, { recursive: true });
  for (const [name, body] of Object.entries(files)) writeFileSync(join(out, name), body);
  return Object.keys(files);
}

if (import.meta.main) {
  parseCommand({
    name: 'docs:assets',
    usage: `Usage: npm run docs:assets [-- --help]

Copies Swagger UI's files from node_modules/swagger-ui-dist into ${ASSETS_DIR}/docs/, served as
static assets under /docs/, and builds the notes example into ${ASSETS_DIR}/examples/notes/.
wrangler runs it before dev and deploy ([build] in wrangler.toml).`,
  });
  const root = fileURLToPath(new URL('..', import.meta.url));
  writeDocsAssets(root);
  writeExampleAssets(root, ASSETS_DIR);
}
