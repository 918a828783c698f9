/** Starting a backup run: one at a time, one per cron tick, recorded in D1 before it runs. */
import { runPrefix } from '../../core/backup/manifest';
import { insertRun } from '../../core/db/backups';
import { randomId } from '../../core/encoding';
import { describeError, log } from '../../core/log';
import { err, ok, type Result } from '../../core/result';
import { CRON_KEY, type DeliveredCron, RUN_KEY, type RunState } from './state';

export type StartRequest = { trigger: 'manual' } | { trigger: 'cron'; scheduledTime: number };
/** `started` is false when the answer is a run already under way (or already started by this tick). */
export type StartedRun = { id: string; started: boolean };
export type StartFailure = { type: 'unavailable' };

export async function startRun(
  storage: DurableObjectStorage,
  db: D1Database,
  request: StartRequest,
): Promise<Result<StartedRun, StartFailure>> {
  const current = await storage.get<RunState>(RUN_KEY);
  if (current) {
    // A run whose alarm was lost (an eviction at the wrong moment, retries the runtime gave up on) resumes.
    if ((await storage.getAlarm()) === null) await storage.setAlarm(Date.now());
    return ok({ id: current.id, started: false });
  }
  if (request.trigger === 'cron') {
    const last = await storage.get<DeliveredCron>(CRON_KEY);
    if (last?.scheduledTime === request.scheduledTime) return ok({ id: last.id, started: false });
  }
  const startedAt = Date.now();
  const state: RunState = {
    id: randomId(),
    prefix: runPrefix(startedAt),
    startedAt,
    trigger: request.trigger,
    tables: null,
    migrations: [],
    done: [],
    finishedAt: null,
    attempts: 0,
  };
  // Stored before the first await that lets other calls in, so a concurrent start finds it.
  await storage.put(RUN_KEY, state);
  try {
    await insertRun(db, { id: state.id, prefix: state.prefix, startedAt });
  } catch (error) {
    await storage.delete(RUN_KEY);
    log('error', 'backup could not start', { trigger: request.trigger, ...describeError(error) });
    return err({ type: 'unavailable' });
  }
  if (request.trigger === 'cron') {
    await storage.put(CRON_KEY, { scheduledTime: request.scheduledTime, id: state.id } satisfies DeliveredCron);
  }
  await storage.setAlarm(Date.now());
  log('info', 'backup started', { backup_id: state.id, trigger: request.trigger, prefix: state.prefix });
  return ok({ id: state.id, started: true });
}
