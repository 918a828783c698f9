import { describe, expect, it } from 'vitest';
import { countHit, refundHit } from '../core/rate-limit';

const window = { limit: 3, window_s: 60 };

describe('fixed-window counting', () => {
  it('takes back one hit of the current window', () => {
    const { counter } = countHit({ windowStart: 0, count: 2 }, window, 1_000);
    const refunded = refundHit(counter, window, 2_000);
    expect(refunded.counter).toEqual({ windowStart: 0, count: 2 });
    expect(refunded.decision).toEqual({ allowed: true, limit: 3, remaining: 1, reset: 58 });
  });

  it('takes nothing back from a window that has passed or an empty count', () => {
    expect(refundHit({ windowStart: 0, count: 3 }, window, 61_000).counter).toBeNull();
    expect(refundHit({ windowStart: 0, count: 0 }, window, 1_000).counter).toEqual({ windowStart: 0, count: 0 });
  });
});
