/** What a transport answers: delivered, or failed with a short reason safe to log and show the operator. */
import { err, ok, type Result } from '../../../core/result';

export type Delivery = Result<null, { type: 'failed'; reason: string }>;

export const delivered = (): Delivery => ok(null);
export const failed = (reason: string): Delivery => err({ type: 'failed', reason });

const TIMEOUT_MS = 10_000;

/** A POST to a third party with a timeout; any non-2xx answer or network failure is a failed delivery. */
export async function post(url: string, headers: Record<string, string>, body: string): Promise<Delivery> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.ok ? delivered() : failed(`HTTP ${response.status}`);
  } catch (error) {
    return failed(error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network error');
  }
}
