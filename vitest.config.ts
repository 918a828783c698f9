import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { writeDocsAssets } from './scripts/docs-assets.ts';
import { generateDataKey, generateSecrets, generateSigningKey } from './scripts/secrets.ts';

// Keep wrangler and miniflare off the network: no telemetry, no cf.json, no update check.
process.env.WRANGLER_SEND_METRICS ??= 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
process.env.WRANGLER_HIDE_BANNER ??= 'true';

export default defineConfig(async () => {
  // wrangler.toml's [assets] directory: the vitest plugin does not run the [build] command.
  writeDocsAssets(import.meta.dirname);
  const secrets = await generateSecrets();
  // A second key that verifies but does not sign: what a key rotation looks like.
  const keys = [...JSON.parse(secrets.JWT_SIGNING_KEYS!), await generateSigningKey('test-previous')];
  // The same for the data key ring: the first seals, the second only opens.
  const dataKeys = [...JSON.parse(secrets.DATA_ENCRYPTION_KEYS!), generateDataKey('test-previous')];
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            ...secrets,
            JWT_SIGNING_KEYS: JSON.stringify(keys),
            DATA_ENCRYPTION_KEYS: JSON.stringify(dataKeys),
            ENVIRONMENT: 'test',
            TEST_MIGRATIONS: await readD1Migrations('./migrations'),
          },
          // Every outbound request a test did not mock fails loudly.
          outboundService: () => new Response('unmocked outbound request', { status: 599 }),
        },
      }),
    ],
    test: {
      setupFiles: ['./test/setup.ts'],
      // Request log lines are shown for failing tests only.
      silent: 'passed-only' as const,
      testTimeout: 20_000,
    },
  };
});
