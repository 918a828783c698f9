/** Liveness and readiness. */
import * as v from 'valibot';
import { withDeadline } from '../../core/deadline';
import { describeError, log } from '../../core/log';
import { MAINTENANCE_NAME } from '../../objects/maintenance';
import { json, route } from '../route';

const CHECK_TIMEOUT_MS = 2_000;

const Liveness = v.object({ status: v.literal('ok') });
const Readiness = v.object({
  status: v.picklist(['ok', 'degraded']),
  version: v.string(),
  build: v.string(),
  checks: v.record(v.string(), v.picklist(['ok', 'failed'])),
});

const checks: Record<string, (env: Env) => Promise<unknown>> = {
  d1: (env) => env.DB.prepare('SELECT 1').first(),
  durable_objects: (env) => env.MAINTENANCE.getByName(MAINTENANCE_NAME).ping(),
  r2: (env) => env.BACKUPS.head('health-check'),
};

async function probe(name: string, run: () => Promise<unknown>): Promise<'ok' | 'failed'> {
  const timedOut = Symbol('timeout');
  try {
    const outcome = await withDeadline(run(), CHECK_TIMEOUT_MS, () => timedOut);
    if (outcome === timedOut) throw new Error(`${name} check timed out`);
    return 'ok';
  } catch (error) {
    log('warn', 'readiness check failed', { check: name, ...describeError(error) });
    return 'failed';
  }
}

export const healthRoutes = [
  route({
    method: 'GET',
    path: '/health',
    summary: 'Liveness',
    tag: 'Operations',
    access: 'public',
    responses: { 200: { description: 'The Worker is up.', schema: Liveness } },
    handle: () => json({ status: 'ok' }),
  }),
  route({
    method: 'GET',
    path: '/health/ready',
    summary: 'Readiness: D1, a Durable Object round trip and R2',
    tag: 'Operations',
    access: 'public',
    responses: {
      200: { description: 'Every dependency answers.', schema: Readiness },
      503: { description: 'A dependency failed; `checks` names it.', schema: Readiness },
    },
    async handle({ rc }) {
      const names = Object.keys(checks);
      const results = await Promise.all(names.map((name) => probe(name, () => checks[name]!(rc.env))));
      const report = Object.fromEntries(names.map((name, i) => [name, results[i]]));
      const healthy = results.every((result) => result === 'ok');
      return json(
        { status: healthy ? 'ok' : 'degraded', version: rc.config.version, build: rc.config.build, checks: report },
        healthy ? 200 : 503,
      );
    },
  }),
];
