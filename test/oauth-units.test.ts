import { describe, expect, it } from 'vitest';
import { afterFailure, BREAKER_OPEN_MS, BREAKER_THRESHOLD, CLOSED, isOpen, merge } from '../core/oauth/breaker';
import { identityFromClaims } from '../core/oauth/identity';

describe('the provider circuit breaker', () => {
  it('opens after the threshold of failed runs in a row, for BREAKER_OPEN_MS', () => {
    let state = CLOSED;
    for (let i = 1; i < BREAKER_THRESHOLD; i++) {
      state = afterFailure(state, 1000);
      expect(isOpen(state, 1000)).toBe(false);
    }
    state = afterFailure(state, 1000);
    expect(isOpen(state, 1000)).toBe(true);
    expect(isOpen(state, 1000 + BREAKER_OPEN_MS)).toBe(false);
  });

  it('reopens at once when the half-open trial fails', () => {
    let state = CLOSED;
    for (let i = 0; i < BREAKER_THRESHOLD; i++) state = afterFailure(state, 0);
    const later = BREAKER_OPEN_MS + 1;
    expect(isOpen(state, later)).toBe(false);
    expect(isOpen(afterFailure(state, later), later)).toBe(true);
  });

  it('takes the more pessimistic of two views', () => {
    expect(merge({ failures: 1, openUntil: 50 }, { failures: 3, openUntil: 10 })).toEqual({
      failures: 3,
      openUntil: 50,
    });
  });
});

describe('identities from claims', () => {
  it('believes an email verified only when the provider says so', () => {
    const read = (claims: Record<string, unknown>) => {
      const result = identityFromClaims({ sub: 's', email: 'a@example.com', ...claims });
      if (!result.ok) throw new Error('refused');
      return result.value.emailVerified;
    };
    expect(read({ email_verified: true })).toBe(true);
    expect(read({ email_verified: 'true' })).toBe(true);
    expect(read({})).toBe(false);
    expect(read({ email_verified: 'yes' })).toBe(false);
    expect(read({ email_verified: false })).toBe(false);
  });

  it('takes a numeric id as the subject, and refuses claims without one', () => {
    expect(identityFromClaims({ id: 42, login: 'octo' })).toMatchObject({
      ok: true,
      value: { subject: '42', name: 'octo' },
    });
    expect(identityFromClaims({ email: 'a@example.com' }).ok).toBe(false);
  });

  it('drops an email that is not an address', () => {
    expect(identityFromClaims({ sub: 's', email: 'not an email', email_verified: true })).toMatchObject({
      ok: true,
      value: { email: null, emailVerified: false },
    });
  });
});
