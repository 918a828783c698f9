/** Liveness and readiness. */
import * as v from 'valibot';
import { withDeadline } from '../../core/deadline';
import { describeError, log } from '../../core/log';
import { MAINTENANCE_NAME } from '../../objects/maintenance/api';
import { route } from '../route';

const CHECK_TIMEOUT_MS = 2_000;
/** How long an isolate answers readiness from its last probe, so the route cannot hammer D1, R2 and the maintenance actor. */
export const READY_CACHE_MS = 5_000;

const Liveness = v.object({ status: v.literal('ok') });
const Readiness = v.object({
  status: v.picklist(['ok', 'degraded']),
  version: v.string(),
  build: v.string(),
  checks: v.record(v.string(), v.picklist(['ok', 'failed'])),
  cached: v.boolean(),
});

type Report = Record<string, 'ok' | 'failed'>;

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

async function probeAll(env: Env): Promise<Report> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => probe(name, () => checks[name]!(env))));
  return Object.fromEntries(names.map((name, i) => [name, results[i]!]));
}

// Per isolate, keyed by its env object (as configFrom is). Only settled results are shared:
// a promise resolved by another request's I/O must not be awaited across requests in workerd.
const lastProbe = new WeakMap<object, { checks: Report; at: number }>();
const probing = new WeakSet<object>();

/** The last probe's report while it is fresh (or while a new probe runs), else a new probe's. */
async function readiness(env: Env): Promise<{ checks: Report; cached: boolean }> {
  const last = lastProbe.get(env);
  if (last && (Date.now() - last.at < READY_CACHE_MS || probing.has(env))) return { checks: last.checks, cached: true };
  probing.add(env);
  try {
    const report = await probeAll(env);
    lastProbe.set(env, { checks: report, at: Date.now() });
    return { checks: report, cached: false };
  } finally {
    probing.delete(env);
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
    handle: ({ reply }) => reply(200, { status: 'ok' }),
  }),
  route({
    method: 'GET',
    path: '/health/ready',
    summary: 'Readiness: D1, a Durable Object round trip and R2',
    tag: 'Operations',
    access: 'public',
    responses: {
      200: { description: 'Every dependency answers (`cached`: as of a probe of the last 5 s).', schema: Readiness },
      503: { description: 'A dependency failed; `checks` names it.', schema: Readiness },
    },
    async handle({ rc, reply }) {
      const { checks: report, cached } = await readiness(rc.env);
      const healthy = Object.values(report).every((result) => result === 'ok');
      return reply(healthy ? 200 : 503, {
        status: healthy ? 'ok' : 'degraded',
        version: rc.config.version,
        build: rc.config.build,
        checks: report,
        cached,
      });
    },
  }),
];
