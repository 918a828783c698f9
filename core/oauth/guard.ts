/**
 * A provider call made on a user's behalf while they wait (discovery, the code exchange,
 * userinfo): refused at once while the provider's breaker is open, else retried when it is
 * worth it and failed fast (within GUARD_RETRY_BUDGET_MS), and counted in the breaker: a call still unavailable after its retries is one
 * failure, any answer from the provider (a refusal included) closes it.
 */
import { err, type Result } from '../result';
import { CLOSED, isOpen } from './breaker';
import { isolateBreakers } from './isolate-breakers';
import { type Retryable, withRetries } from './retry';

export type BreakerOpen = { type: 'unavailable'; status: null };

/** Retries only within this time of the first attempt: a 503 is retried, a 10 s timeout is not. */
export const GUARD_RETRY_BUDGET_MS = 2_000;

export async function guarded<T, E extends { type: string }>(
  provider: string,
  call: () => Promise<Result<T, E>>,
  retryable?: Retryable<E>,
): Promise<Result<T, E | BreakerOpen>> {
  if (isOpen(isolateBreakers.state(provider), Date.now())) return err({ type: 'unavailable', status: null });
  const result = await withRetries(call, undefined, retryable, GUARD_RETRY_BUDGET_MS);
  if (!result.ok && result.error.type === 'unavailable') isolateBreakers.failed(provider, Date.now());
  else isolateBreakers.set(provider, CLOSED);
  return result;
}
