/**
 * The data key sweep: every sealed value in D1 that the current data key did not seal is
 * opened and sealed again under it, a page at a time, from the maintenance actor's alarm.
 * Progress is saved after each page, so a retried or evicted alarm resumes where it stopped;
 * every write is conditional on the value read, so a concurrent refresh or re-seal stands. A
 * value that no key opens is counted as `unreadable` and left alone. The sweep yields to a
 * backup run: it only moves while none is under way.
 */
import type { DataKey } from '../../core/config';
import { seal, unseal } from '../../core/crypto-box';
import { replaceSealed, SEALED_FIELDS, valuesNotUnder } from '../../core/db/sealed-values';
import { randomId } from '../../core/encoding';
import { describeError, log } from '../../core/log';
import type { StartRequest } from './start';
import type { DeliveredCron } from './state';

export const SWEEP_KEY = 'reseal:run';
export const LAST_SWEEP_KEY = 'reseal:last';
/** The last cron tick that started a sweep: a tick delivered twice starts one. */
const SWEEP_CRON_KEY = 'reseal:cron';
export const SWEEP_PAGE = 100;
const SLICE_MS = 60_000;
const MAX_ATTEMPTS = 5;
const RETRY_MS = 30_000;

export interface SweepState {
  id: string;
  trigger: 'manual' | 'cron';
  /** The key the sweep seals under: a sweep started before a rotation does not switch mid-way. */
  kid: string;
  startedAt: number;
  finishedAt: number | null;
  status: 'running' | 'complete' | 'failed';
  /** The field being swept (an index into SEALED_FIELDS) and the last key done in it. */
  field: number;
  after: string | null;
  scanned: number;
  resealed: number;
  unreadable: number;
  attempts: number;
}

/** Starts a sweep, or answers the one under way (or the one this cron tick started); `started` false then. */
export async function startSweep(
  storage: DurableObjectStorage,
  keys: readonly DataKey[],
  request: StartRequest,
  backupRunning: boolean,
): Promise<{ id: string; started: boolean }> {
  const { trigger } = request;
  const current = await storage.get<SweepState>(SWEEP_KEY);
  if (current) {
    if (!backupRunning && (await storage.getAlarm()) === null) await storage.setAlarm(Date.now());
    return { id: current.id, started: false };
  }
  if (request.trigger === 'cron') {
    const last = await storage.get<DeliveredCron>(SWEEP_CRON_KEY);
    if (last?.scheduledTime === request.scheduledTime) return { id: last.id, started: false };
  }
  const state: SweepState = {
    id: randomId(),
    trigger,
    kid: (keys[0] as DataKey).kid,
    startedAt: Date.now(),
    finishedAt: null,
    status: 'running',
    field: 0,
    after: null,
    scanned: 0,
    resealed: 0,
    unreadable: 0,
    attempts: 0,
  };
  await storage.put(SWEEP_KEY, state);
  if (request.trigger === 'cron') {
    await storage.put(SWEEP_CRON_KEY, { scheduledTime: request.scheduledTime, id: state.id } satisfies DeliveredCron);
  }
  // A backup's alarm carries the sweep on once that run is over.
  if (!backupRunning) await storage.setAlarm(Date.now());
  log('info', 'data key sweep started', { sweep_id: state.id, trigger, kid: state.kid });
  return { id: state.id, started: true };
}

/** The sweep under way, else the last one that ended; null before the first. */
export async function sweepStatus(storage: DurableObjectStorage): Promise<SweepState | null> {
  return (await storage.get<SweepState>(SWEEP_KEY)) ?? (await storage.get<SweepState>(LAST_SWEEP_KEY)) ?? null;
}

/** The alarm's share: one slice of the sweep, then a new alarm while values remain. */
export async function advanceSweep(storage: DurableObjectStorage, db: D1Database, keys: readonly DataKey[]) {
  const state = await storage.get<SweepState>(SWEEP_KEY);
  if (!state) return;
  try {
    if (await sweepSlice(storage, db, keys, state)) await end(storage, state, 'complete');
    else await storage.setAlarm(Date.now());
  } catch (error) {
    state.attempts += 1;
    const fields = { sweep_id: state.id, attempt: state.attempts, ...describeError(error) };
    if (state.attempts >= MAX_ATTEMPTS) {
      log('error', 'data key sweep failed', fields);
      return end(storage, state, 'failed');
    }
    log('warn', 'data key sweep attempt failed; retrying', fields);
    await storage.put(SWEEP_KEY, state);
    await storage.setAlarm(Date.now() + RETRY_MS * 2 ** (state.attempts - 1));
  }
}

async function end(storage: DurableObjectStorage, state: SweepState, status: 'complete' | 'failed') {
  const ended: SweepState = { ...state, status, finishedAt: Date.now() };
  await storage.put(LAST_SWEEP_KEY, ended);
  await storage.delete(SWEEP_KEY);
  log('info', 'data key sweep ended', {
    sweep_id: state.id,
    status,
    scanned: state.scanned,
    resealed: state.resealed,
    unreadable: state.unreadable,
  });
}

/** Sweeps pages until every field is done (true) or the slice is used up (false). */
async function sweepSlice(
  storage: DurableObjectStorage,
  db: D1Database,
  keys: readonly DataKey[],
  state: SweepState,
): Promise<boolean> {
  const current = (keys[0] as DataKey).kid;
  if (current !== state.kid) {
    // Rotated again during the sweep: what was re-sealed is stale once more, so start over.
    Object.assign(state, { kid: current, field: 0, after: null });
  }
  const sliceEnds = Date.now() + SLICE_MS;
  while (state.field < SEALED_FIELDS.length) {
    if (Date.now() > sliceEnds) return false;
    const field = SEALED_FIELDS[state.field] as (typeof SEALED_FIELDS)[number];
    const page = await valuesNotUnder(db, field, state.kid, state.after, SWEEP_PAGE);
    for (const value of page) {
      const opened = await unseal(keys, value.value, value.context);
      if (!opened) state.unreadable += 1;
      else if (
        await replaceSealed(db, field, value.key, value.value, await seal(keys, opened.plaintext, value.context))
      )
        state.resealed += 1;
    }
    state.scanned += page.length;
    state.after = page.at(-1)?.key ?? null;
    if (page.length < SWEEP_PAGE) {
      state.field += 1;
      state.after = null;
    }
    state.attempts = 0;
    await storage.put(SWEEP_KEY, state);
  }
  return true;
}
