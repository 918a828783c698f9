/** Retries an operation whose failure is worth another try, with exponential backoff and jitter. */
import type { Result } from '../result';

export const RETRIES = 2;
const BASE_DELAY_MS = 100;

/** Which failures are worth another try: by default every `unavailable` one. */
export type Retryable<E> = (error: E) => boolean;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `budgetMs`: no new attempt once this much time has passed since the first began, so a call
 * that failed slowly (a timeout) is not repeated while someone waits for it.
 */
export async function withRetries<T, E extends { type: string }>(
  attempt: () => Promise<Result<T, E>>,
  retries = RETRIES,
  retryable: Retryable<E> = (error) => error.type === 'unavailable',
  budgetMs = Number.POSITIVE_INFINITY,
): Promise<Result<T, E>> {
  const started = Date.now();
  let result = await attempt();
  for (let i = 0; i < retries && !result.ok && retryable(result.error) && Date.now() - started < budgetMs; i++) {
    await sleep(BASE_DELAY_MS * 2 ** i * (1 + Math.random()));
    result = await attempt();
  }
  return result;
}
