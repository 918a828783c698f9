/**
 * Lockout: N failures in a row lock, whatever the address. Each attempt is counted as a
 * failure before its secret is checked, and a success clears the count: concurrent attempts
 * cannot slip past the limit while their checks run. One guard watches passwords (sign-in and
 * re-checks), another second-factor codes across every mfa_token and signed-in check. The
 * limiter keeps one per unknown email, so an email without an account locks the same way.
 */
import type { Window } from '../../core/rate-limit';
import { one } from './query';

export interface GuardState {
  locked: boolean;
  /** Seconds until the lock ends (0 when not locked). */
  retryAfterS: number;
}

/**
 * Guards password and second-factor attempts: counts each attempt as a failure until it
 * succeeds, and locks after a policy's limit. `table` picks which count it keeps.
 */
export class AttemptGuard {
  constructor(
    private readonly sql: SqlStorage,
    private readonly table: 'login_guard' | 'factor_guard' = 'login_guard',
  ) {}

  private read(): { failures: number; locked_until: number | null } {
    return (
      one<{ failures: number; locked_until: number | null }>(
        this.sql,
        `SELECT failures, locked_until FROM ${this.table}`,
      ) ?? { failures: 0, locked_until: null }
    );
  }

  private write(failures: number, lockedUntil: number | null): void {
    this.sql.exec(
      `INSERT INTO ${this.table} (singleton, failures, locked_until) VALUES (1, ?, ?) ON CONFLICT(singleton) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until`,
      failures,
      lockedUntil,
    );
  }

  state(now = Date.now()): GuardState {
    const { locked_until } = this.read();
    if (locked_until !== null && locked_until > now) {
      return { locked: true, retryAfterS: Math.ceil((locked_until - now) / 1000) };
    }
    return { locked: false, retryAfterS: 0 };
  }

  /**
   * Admits one attempt and counts it as a failure until `succeed()` says otherwise. `locked`
   * refuses it; `locksIfWrong` says this attempt reached the limit and the account stays
   * locked unless its password is right.
   */
  begin(policy: Window, now = Date.now()): GuardState & { locksIfWrong: boolean } {
    const current = this.state(now);
    if (current.locked) return { ...current, locksIfWrong: false };
    const failures = this.read().failures + 1;
    if (failures >= policy.limit) {
      this.write(0, now + policy.window_s * 1000);
      return { locked: false, retryAfterS: 0, locksIfWrong: true };
    }
    this.write(failures, null);
    return { locked: false, retryAfterS: 0, locksIfWrong: false };
  }

  succeed(): void {
    this.write(0, null);
  }
}
