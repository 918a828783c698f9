/**
 * The isolate's view of each provider's breaker: one map that every user actor and every
 * request running in the isolate shares, so failures seen by one spare the others the wait.
 */
import { afterFailure, type BreakerState, CLOSED } from './breaker';

const states = new Map<string, BreakerState>();

export const isolateBreakers = {
  state: (provider: string): BreakerState => states.get(provider) ?? CLOSED,
  set: (provider: string, state: BreakerState): void => void states.set(provider, state),
  failed: (provider: string, now: number): BreakerState => {
    const next = afterFailure(states.get(provider) ?? CLOSED, now);
    states.set(provider, next);
    return next;
  },
};
