/** Node-side tests against a real `wrangler dev`: the OpenAPI validator and headless Chromium. */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['e2e/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    teardownTimeout: 15_000,
  },
});
