/**
 * `npm run client:generate`: starts a throwaway `wrangler dev`, reads its /openapi.json and
 * writes the TypeScript types of the HTTP client (client/api-types.ts) with openapi-typescript.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiTypes } from '@durable-backend/openapi-types';
import { parseCommand, progress } from './cli.ts';
import { startDevServer } from './dev-server.ts';

/** The generated file, relative to the project. */
export const API_TYPES = 'client/api-types.ts';

/** The types of the document that the Worker at `baseUrl` serves. */
export async function apiTypesFrom(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/openapi.json`);
  if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
  return openApiTypes((await response.json()) as object);
}

if (import.meta.main) {
  parseCommand({
    name: 'client:generate',
    usage: `Usage: npm run client:generate [-- --help]

Starts a throwaway wrangler dev, reads its /openapi.json and writes ${API_TYPES}, the types of
the typed HTTP client (client/api.ts). Run it after changing a route; an e2e test fails while
the committed file differs from the document.`,
  });
  const root = fileURLToPath(new URL('..', import.meta.url));
  progress('Starting wrangler dev …');
  const server = await startDevServer(root);
  try {
    writeFileSync(`${root}${API_TYPES}`, await apiTypesFrom(server.url));
    progress(`Wrote ${API_TYPES}`);
  } finally {
    await server.stop();
  }
}
