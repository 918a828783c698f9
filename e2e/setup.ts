/** Global setup of the e2e suite: one dev server for every file, stopped at the end. */
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { DEV_AUTH_LIMIT } from '../scripts/dev-config.ts';
import { startDevServer } from '../scripts/dev-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    /** Everything the dev server prints: where the `log` email transport's links appear. */
    devLog: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The auth limit of `npm start`, so the README's walkthrough runs here as it does there.
  const server = await startDevServer(fileURLToPath(new URL('..', import.meta.url)), {
    RATE_LIMITS: JSON.stringify({ auth: DEV_AUTH_LIMIT }),
  });
  project.provide('baseUrl', server.url);
  project.provide('devLog', server.logFile);
  return () => server.stop();
}
