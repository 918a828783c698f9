/**
 * Calls to a provider: each with a timeout, failures sorted into `unavailable` (worth a retry:
 * network, timeout, 5xx, 429) and `rejected` (the provider said no: 4xx or an OAuth `error`).
 */
import { err, ok, type Result } from '../result';

export const PROVIDER_TIMEOUT_MS = 10_000;
const USER_AGENT = 'durable-backend';

export type ProviderFailure = { type: 'unavailable'; status: number | null } | { type: 'rejected'; error: string };

/** What `providerFetch` throws through the OAuth client so that `settle` can tell it apart. */
class Unavailable extends Error {
  constructor(readonly status: number | null) {
    super('provider unavailable');
  }
}

/**
 * The fetch the OAuth client is given: a timeout and our user agent on every call; a network
 * failure, a timeout, a 5xx or a 429 is thrown as `Unavailable`.
 */
export const providerFetch =
  (timeoutMs = PROVIDER_TIMEOUT_MS) =>
  async (url: string, init: RequestInit): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('user-agent', USER_AGENT);
    let response: Response;
    try {
      response = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch {
      throw new Unavailable(null);
    }
    if (response.status >= 500 || response.status === 429) {
      await response.body?.cancel();
      throw new Unavailable(response.status);
    }
    return response;
  };

/** Awaits a provider call; whatever it throws is sorted, and kept out of logs and answers. */
export async function settle<T>(work: Promise<T>): Promise<Result<T, ProviderFailure>> {
  try {
    return ok(await work);
  } catch (error) {
    if (error instanceof Unavailable) return err({ type: 'unavailable', status: error.status });
    // oauth4webapi's ResponseBodyError carries the provider's OAuth `error` code.
    const code = (error as { error?: unknown }).error;
    return err({ type: 'rejected', error: typeof code === 'string' ? code : 'invalid_response' });
  }
}

/** Reads a JSON answer from a plain API call (userinfo, GitHub's REST API). */
export async function readJson(response: Response): Promise<Result<unknown, ProviderFailure>> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return response.ok
      ? err({ type: 'unavailable', status: response.status })
      : err({ type: 'rejected', error: 'invalid_response' });
  }
  const error =
    typeof body === 'object' && body !== null && 'error' in body ? (body as { error: unknown }).error : null;
  if (!response.ok || error)
    return err({ type: 'rejected', error: typeof error === 'string' ? error : `http_${response.status}` });
  return ok(body);
}
