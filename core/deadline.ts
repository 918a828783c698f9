/** Races work against a deadline; the loser is left to finish on its own, never rejected. */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  const deadline = new Promise<T>((resolve) => {
    signal.addEventListener('abort', () => resolve(onTimeout()), { once: true });
  });
  return Promise.race([work, deadline]);
}
