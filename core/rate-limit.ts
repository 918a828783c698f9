/** Fixed-window counting, kept by whichever actor owns the counter. */
export interface Window {
  limit: number;
  window_s: number;
}

export interface Decision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  reset: number;
}

export interface Counter {
  windowStart: number;
  count: number;
}

/** Counts one hit against `counter` at `now` (ms); returns the new counter and the decision. */
export function countHit(
  counter: Counter | null,
  window: Window,
  now: number,
): { counter: Counter; decision: Decision } {
  const length = window.window_s * 1000;
  const current = counter && now - counter.windowStart < length ? counter : { windowStart: now, count: 0 };
  const allowed = current.count < window.limit;
  const next = allowed ? { ...current, count: current.count + 1 } : current;
  return {
    counter: next,
    decision: {
      allowed,
      limit: window.limit,
      remaining: Math.max(0, window.limit - next.count),
      reset: Math.max(1, Math.ceil((current.windowStart + length - now) / 1000)),
    },
  };
}

/**
 * Takes back one hit of the current window, for a request counted before it was known to be
 * harmless (a failure limit counts every attempt first, so concurrent ones cannot slip past).
 */
export function refundHit(
  counter: Counter | null,
  window: Window,
  now: number,
): { counter: Counter | null; decision: Decision } {
  const length = window.window_s * 1000;
  const current = counter && now - counter.windowStart < length ? counter : null;
  const next = current ? { ...current, count: Math.max(0, current.count - 1) } : null;
  return {
    counter: next,
    decision: {
      allowed: true,
      limit: window.limit,
      remaining: window.limit - (next?.count ?? 0),
      reset: next ? Math.max(1, Math.ceil((next.windowStart + length - now) / 1000)) : window.window_s,
    },
  };
}

export function rateLimitHeaders(decision: Decision): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': String(decision.remaining),
    'x-ratelimit-reset': String(decision.reset),
  };
  if (!decision.allowed) headers['retry-after'] = String(decision.reset);
  return headers;
}
