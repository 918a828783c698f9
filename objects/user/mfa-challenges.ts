/**
 * Pending second-factor sign-ins. An mfa_token is `<user id>.<secret>`, stored hashed, good
 * for 5 minutes and 5 attempts, and spent by the sign-in it completes.
 */
import { sha256 } from '../../core/encoding';
import { err, ok, type Result } from '../../core/result';
import { newUserToken } from '../../core/user-token';
import { one } from '../shared/query';

export const MFA_TOKEN_TTL_MS = 5 * 60 * 1000;
export const MFA_MAX_ATTEMPTS = 5;

export class MfaChallenges {
  constructor(
    private readonly sql: SqlStorage,
    private readonly userId: string,
  ) {}

  /** `firstFactor` is the `amr` of what was proven already: `pwd`, or `oauth`. */
  async open(firstFactor: string, now = Date.now()): Promise<string> {
    const token = newUserToken(this.userId);
    this.sql.exec('DELETE FROM mfa_challenges WHERE expires_at <= ?', now);
    this.sql.exec(
      'INSERT INTO mfa_challenges (hash, expires_at, first_factor) VALUES (?, ?, ?)',
      await sha256(token),
      now + MFA_TOKEN_TTL_MS,
      firstFactor,
    );
    return token;
  }

  /** Counts one attempt before the code is checked; the sixth attempt finds the token void. */
  async attempt(token: string, now = Date.now()): Promise<Result<null, { type: 'invalid' }>> {
    const hash = await sha256(token);
    const row = one<{ expires_at: number; attempts: number }>(
      this.sql,
      'SELECT expires_at, attempts FROM mfa_challenges WHERE hash = ?',
      hash,
    );
    if (!row || row.expires_at <= now || row.attempts >= MFA_MAX_ATTEMPTS) {
      this.sql.exec('DELETE FROM mfa_challenges WHERE hash = ?', hash);
      return err({ type: 'invalid' });
    }
    this.sql.exec('UPDATE mfa_challenges SET attempts = attempts + 1 WHERE hash = ?', hash);
    return ok(null);
  }

  /** Spends the token: the first factor it stood on, or null when it was spent already or never existed. */
  async spend(token: string): Promise<string | null> {
    const row = one<{ first_factor: string }>(
      this.sql,
      'DELETE FROM mfa_challenges WHERE hash = ? RETURNING first_factor',
      await sha256(token),
    );
    return row?.first_factor ?? null;
  }
}
