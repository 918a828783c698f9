/** Retries an operation whose failure is `unavailable`, with exponential backoff and jitter. */
import type { Result } from '../result';

export const RETRIES = 2;
const BASE_DELAY_MS = 100;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withRetries<T, E extends { type: string }>(
  attempt: () => Promise<Result<T, E>>,
  retries = RETRIES,
): Promise<Result<T, E>> {
  let result = await attempt();
  for (let i = 0; i < retries && !result.ok && result.error.type === 'unavailable'; i++) {
    await sleep(BASE_DELAY_MS * 2 ** i * (1 + Math.random()));
    result = await attempt();
  }
  return result;
}
