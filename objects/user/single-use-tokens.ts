/**
 * Single-use tokens of the user actor: login codes handed to the browser after an OAuth
 * callback, and the mfa_tokens of pending second-factor sign-ins. A token is
 * `<user id>.<secret>` (the prefix routes it here), stored hashed, spent once, and void after
 * its time or, for an mfa_token, after its attempts.
 */
import { sha256 } from '../../core/encoding';
import { err, ok, type Result } from '../../core/result';
import { newUserToken } from '../../core/user-token';
import { one } from '../shared/query';

/** What each kind of token carries to the call that spends it. */
export interface TokenData {
  /** How the sign-in was proven, and with which provider. */
  login_code: { amr: string[]; provider: string };
  /** The `amr` of the first factor already proven: `pwd`, or `oauth`. */
  mfa: { firstFactor: string };
}

export type Purpose = keyof TokenData;

const RULES: Record<Purpose, { ttlMs: number; maxAttempts: number }> = {
  login_code: { ttlMs: 60_000, maxAttempts: 0 },
  mfa: { ttlMs: 5 * 60_000, maxAttempts: 5 },
};

export class SingleUseTokens {
  constructor(
    private readonly sql: SqlStorage,
    private readonly userId: string,
  ) {}

  async issue<P extends Purpose>(purpose: P, data: TokenData[P], now = Date.now()): Promise<string> {
    const token = newUserToken(this.userId);
    this.sql.exec('DELETE FROM single_use_tokens WHERE expires_at <= ?', now);
    this.sql.exec(
      'INSERT INTO single_use_tokens (hash, purpose, expires_at, data) VALUES (?, ?, ?, ?)',
      await sha256(token),
      purpose,
      now + RULES[purpose].ttlMs,
      JSON.stringify(data),
    );
    return token;
  }

  /** Counts one attempt before the code it guards is checked; the attempt past the limit finds the token void. */
  async attempt(purpose: Purpose, token: string, now = Date.now()): Promise<Result<null, { type: 'invalid' }>> {
    const hash = await sha256(token);
    const row = one<{ expires_at: number; attempts: number }>(
      this.sql,
      'SELECT expires_at, attempts FROM single_use_tokens WHERE hash = ? AND purpose = ?',
      hash,
      purpose,
    );
    if (!row || row.expires_at <= now || row.attempts >= RULES[purpose].maxAttempts) {
      this.sql.exec('DELETE FROM single_use_tokens WHERE hash = ?', hash);
      return err({ type: 'invalid' });
    }
    this.sql.exec('UPDATE single_use_tokens SET attempts = attempts + 1 WHERE hash = ?', hash);
    return ok(null);
  }

  /** Spends a token: its data, or null when unknown, spent or expired (an expired one is spent too). */
  async spend<P extends Purpose>(purpose: P, token: string, now = Date.now()): Promise<TokenData[P] | null> {
    const row = one<{ expires_at: number; data: string }>(
      this.sql,
      'DELETE FROM single_use_tokens WHERE hash = ? AND purpose = ? RETURNING expires_at, data',
      await sha256(token),
      purpose,
    );
    if (!row || row.expires_at <= now) return null;
    return JSON.parse(row.data) as TokenData[P];
  }
}
