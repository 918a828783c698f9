/**
 * Calls to a provider: each with a timeout, failures sorted into `unavailable` (worth a retry:
 * network, timeout, 5xx, 429) and `rejected` (the provider said no: 4xx or an OAuth `error`).
 */
import { err, ok, type Result } from '../result';

export const PROVIDER_TIMEOUT_MS = 10_000;

export type ProviderFailure = { type: 'unavailable'; status: number | null } | { type: 'rejected'; error: string };

async function send(url: string, init: RequestInit, timeoutMs: number): Promise<Result<unknown, ProviderFailure>> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return err({ type: 'unavailable', status: null });
  }
  if (response.status >= 500 || response.status === 429) {
    await response.body?.cancel();
    return err({ type: 'unavailable', status: response.status });
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return response.ok
      ? err({ type: 'unavailable', status: response.status })
      : err({ type: 'rejected', error: 'invalid_response' });
  }
  // GitHub answers token errors with 200 and an `error` field.
  const error =
    typeof body === 'object' && body !== null && 'error' in body ? (body as { error: unknown }).error : null;
  if (!response.ok || error)
    return err({ type: 'rejected', error: typeof error === 'string' ? error : `http_${response.status}` });
  return ok(body);
}

/** POSTs an `application/x-www-form-urlencoded` body and reads a JSON answer. */
export const postForm = (url: string, form: Record<string, string>, timeoutMs = PROVIDER_TIMEOUT_MS) =>
  send(
    url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
    },
    timeoutMs,
  );

/** GETs JSON, with a bearer token when given. */
export const getJson = (url: string, accessToken?: string, timeoutMs = PROVIDER_TIMEOUT_MS) =>
  send(
    url,
    {
      headers: {
        accept: 'application/json',
        'user-agent': 'durable-backend',
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      },
    },
    timeoutMs,
  );
