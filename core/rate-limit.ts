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

export function rateLimitHeaders(decision: Decision): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': String(decision.remaining),
    'x-ratelimit-reset': String(decision.reset),
  };
  if (!decision.allowed) headers['retry-after'] = String(decision.reset);
  return headers;
}
