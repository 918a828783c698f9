/** Reconnect delays: exponential with full jitter, so many clients do not return in step. */
export interface BackoffOptions {
  /** The first retry's upper bound (default 250 ms). */
  initialMs?: number;
  /** The cap (default 30 s). */
  maxMs?: number;
}

export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialMs ?? 250;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
