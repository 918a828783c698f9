/** Global setup of the e2e suite: one dev server for every file, stopped at the end. */
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startDevServer } from '../scripts/dev-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startDevServer(fileURLToPath(new URL('..', import.meta.url)));
  project.provide('baseUrl', server.url);
  return () => server.stop();
}
