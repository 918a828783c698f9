/**
 * One-time login codes handed to the browser after an OAuth callback. A code is
 * `<user id>.<secret>` (the prefix routes it here), stored hashed, good for 60 seconds and once.
 */
import { sha256 } from '../../core/encoding';
import { newUserToken } from '../../core/user-token';
import { one } from '../shared/query';

export const LOGIN_CODE_TTL_MS = 60_000;

export interface RedeemedCode {
  amr: string[];
  provider: string;
}

export class LoginCodes {
  constructor(
    private readonly sql: SqlStorage,
    private readonly userId: string,
  ) {}

  async issue(provider: string, amr: string[], now = Date.now()): Promise<string> {
    const code = newUserToken(this.userId);
    this.sql.exec('DELETE FROM login_codes WHERE expires_at <= ?', now);
    this.sql.exec(
      'INSERT INTO login_codes (hash, expires_at, amr, provider) VALUES (?, ?, ?, ?)',
      await sha256(code),
      now + LOGIN_CODE_TTL_MS,
      JSON.stringify(amr),
      provider,
    );
    return code;
  }

  /** Spends a code: null when unknown, spent or expired (an expired one is spent too). */
  async redeem(code: string, now = Date.now()): Promise<RedeemedCode | null> {
    const hash = await sha256(code);
    const row = one<{ expires_at: number; amr: string; provider: string }>(
      this.sql,
      'SELECT expires_at, amr, provider FROM login_codes WHERE hash = ?',
      hash,
    );
    if (!row) return null;
    this.sql.exec('DELETE FROM login_codes WHERE hash = ?', hash);
    if (row.expires_at <= now) return null;
    return { amr: JSON.parse(row.amr) as string[], provider: row.provider };
  }
}
