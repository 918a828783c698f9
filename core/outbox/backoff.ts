/**
 * When a failed delivery is tried again: exponential backoff with jitter. The n-th retry waits
 * between half and all of `BASE_MS · 2^(n-1)` (capped at `CAP_MS`), so receivers that come back
 * are not hit by every actor at the same moment.
 */
const BASE_MS = 30_000;
const CAP_MS = 6 * 60 * 60_000;

/** The delay before the next try after `failures` failed ones; `random` in [0, 1). */
export function retryDelayMs(failures: number, random: number = Math.random()): number {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
