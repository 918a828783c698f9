/**
 * A circuit breaker per provider, as pure arithmetic: after BREAKER_THRESHOLD failed refresh
 * runs in a row the provider is left alone for BREAKER_OPEN_MS; then one run may try again
 * (half-open), and a success closes it.
 */
export const BREAKER_THRESHOLD = 3;
export const BREAKER_OPEN_MS = 5 * 60_000;

export interface BreakerState {
  failures: number;
  /** Unix ms until which no request is sent; 0 when closed. */
  openUntil: number;
}

export const CLOSED: BreakerState = { failures: 0, openUntil: 0 };

export const isOpen = (state: BreakerState, now: number): boolean => state.openUntil > now;

export function afterFailure(state: BreakerState, now: number): BreakerState {
  const failures = state.failures + 1;
  return { failures, openUntil: failures >= BREAKER_THRESHOLD ? now + BREAKER_OPEN_MS : state.openUntil };
}

/** The more pessimistic of two views of the same provider (an isolate's and an actor's). */
export const merge = (a: BreakerState, b: BreakerState): BreakerState => ({
  failures: Math.max(a.failures, b.failures),
  openUntil: Math.max(a.openUntil, b.openUntil),
});
