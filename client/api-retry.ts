/** A fetch that waits out a 429 as long as the API's `retry-after` says, then tries again. */

export type Send = (request: Request) => Promise<Response>;

export interface RetryOptions {
  /** How many times a 429 is retried before it is handed back (default 2). */
  retries?: number;
  /** The longest `retry-after` that is waited for, in ms (default 60,000); a longer one is handed back. */
  maxWaitMs?: number;
  /** Injected by tests. */
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Wraps `send` so that a 429 with a `retry-after` in seconds is sent again after that delay. */
export function retryOn429(send: Send, options: RetryOptions = {}): Send {
  const { retries = 2, maxWaitMs = 60_000, sleep = wait } = options;
  return async (request) => {
    for (let attempt = 0; ; attempt++) {
      // A request body can be read once: every attempt sends a copy.
      const response = await send(request.clone());
      if (response.status !== 429 || attempt >= retries) return response;
      const seconds = Number(response.headers.get('retry-after'));
      if (!Number.isFinite(seconds) || seconds < 0 || seconds * 1000 > maxWaitMs) return response;
      await response.body?.cancel();
      await sleep(seconds * 1000);
    }
  };
}
