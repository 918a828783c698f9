/**
 * The configuration `npm start` hands to wrangler, checked before wrangler starts: wrangler.toml's
 * [vars], then `.env`, then the process environment (wrangler's own merge), plus development
 * defaults for what the developer left at wrangler.toml's value.
 */
import { ConfigError, parseConfig } from '../core/config.ts';

/** Sign-in attempts per IP under `npm start`: enough to run the README's walkthrough repeatedly. */
export const DEV_AUTH_LIMIT = { limit: 50, window_s: 60 };

export interface DevConfig {
  /** Values to put into wrangler's environment, so they win over wrangler.toml. */
  overrides: Record<string, string>;
  /** One line per problem; empty when the Worker can start. */
  problems: string[];
}

interface Binding {
  type: string;
  value: unknown;
}

async function mergedBindings(): Promise<Record<string, Binding>> {
  // Wrangler's own reading, so this check sees exactly what `wrangler dev` will.
  const wrangler = await import('wrangler');
  const config = wrangler.unstable_readConfig({ config: 'wrangler.toml' });
  return wrangler.unstable_getVarsForDev(config.configPath, undefined, config.vars, undefined, true, config.secrets);
}

function withDevAuthLimit(raw: string): string {
  try {
    const limits = JSON.parse(raw) as unknown;
    if (typeof limits !== 'object' || limits === null || Array.isArray(limits) || 'auth' in limits) return raw;
    return JSON.stringify({ ...limits, auth: DEV_AUTH_LIMIT });
  } catch {
    return raw; // Left for the configuration check to name.
  }
}

/** Merges, applies the development defaults for `port` and validates with `core/config.ts`. */
export async function devConfig(port: number, env: NodeJS.ProcessEnv): Promise<DevConfig> {
  const bindings = await mergedBindings();
  const values = Object.fromEntries(
    Object.entries(bindings).map(([name, { type, value }]) => [
      name,
      type === 'json' ? JSON.stringify(value) : String(value),
    ]),
  );
  // Wrangler marks what still comes from wrangler.toml as plain text; .env and the environment make it a secret.
  const fromToml = (name: string) => bindings[name]?.type === 'plain_text';
  const own = [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  const overrides: Record<string, string> = {};
  if (fromToml('JWT_ISSUER')) overrides.JWT_ISSUER = own[0]!;
  for (const name of ['CORS_ORIGINS', 'OAUTH_REDIRECT_ALLOWLIST']) {
    if (fromToml(name)) overrides[name] = [...(values[name] ?? '').split(','), ...own].filter(Boolean).join(',');
  }
  const limits = withDevAuthLimit(values.RATE_LIMITS ?? '{}');
  if (limits !== values.RATE_LIMITS) overrides.RATE_LIMITS = limits;

  const problems: string[] = [];
  for (const name of Object.keys(bindings)) {
    // Wrangler lets .env win over an empty value in the environment; say so instead.
    if (env[name] === '' && values[name] !== '') {
      problems.push(
        `${name} is empty in the environment, where wrangler would quietly take .env's value; unset it, or change .env`,
      );
    }
  }
  try {
    parseConfig({ ...values, ...overrides });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  return { overrides, problems };
}
