/// <reference types="vite/client" />
import type { D1Migration } from '@cloudflare/vitest-plugin';

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** The test mail relay's signing secret (vitest.config.ts). */
      EMAIL_WEBHOOK_SECRET: string;
    }
  }
}
