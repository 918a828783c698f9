/**
 * Single-use tokens of the user actor: login codes handed to the browser after an OAuth
 * callback, the mfa_tokens of pending second-factor sign-ins, and the links sent by email
 * (verify an address, reset a password, confirm or undo an email change). A token is
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
  /** Emailed links carry the address they were sent for: a link void once the account's email moved on. */
  verify_email: { email: string };
  password_reset: { email: string };
  email_change: { email: string; newEmail: string };
  email_change_undo: { email: string; newEmail: string };
}

export type Purpose = keyof TokenData;

const RULES: Record<Purpose, { ttlMs: number; maxAttempts: number }> = {
  login_code: { ttlMs: 60_000, maxAttempts: 0 },
  mfa: { ttlMs: 5 * 60_000, maxAttempts: 5 },
  verify_email: { ttlMs: 24 * 60 * 60_000, maxAttempts: 0 },
  password_reset: { ttlMs: 30 * 60_000, maxAttempts: 0 },
  email_change: { ttlMs: 24 * 60 * 60_000, maxAttempts: 0 },
  email_change_undo: { ttlMs: 7 * 24 * 60 * 60_000, maxAttempts: 0 },
};

/** A new token and the hash it is stored under. */
export interface Minted {
  token: string;
  hash: string;
}

export class SingleUseTokens {
  constructor(
    private readonly sql: SqlStorage,
    private readonly userId: string,
  ) {}

  async issue<P extends Purpose>(purpose: P, data: TokenData[P], now = Date.now()): Promise<string> {
    const minted = await this.mint();
    this.store(minted, purpose, data, now);
    return minted.token;
  }

  /** A token not stored yet: `store` it in the same transaction as what it goes out with. */
  async mint(): Promise<Minted> {
    const token = newUserToken(this.userId);
    return { token, hash: await sha256(token) };
  }

  store<P extends Purpose>(minted: Minted, purpose: P, data: TokenData[P], now = Date.now()): void {
    this.sql.exec('DELETE FROM single_use_tokens WHERE expires_at <= ?', now);
    this.sql.exec(
      'INSERT INTO single_use_tokens (hash, purpose, expires_at, data) VALUES (?, ?, ?, ?)',
      minted.hash,
      purpose,
      now + RULES[purpose].ttlMs,
      JSON.stringify(data),
    );
  }

  /** A token's data without spending it, or null when unknown or expired. */
  async peek<P extends Purpose>(purpose: P, token: string, now = Date.now()): Promise<TokenData[P] | null> {
    const row = one<{ expires_at: number; data: string }>(
      this.sql,
      'SELECT expires_at, data FROM single_use_tokens WHERE hash = ? AND purpose = ?',
      await sha256(token),
      purpose,
    );
    if (!row || row.expires_at <= now) return null;
    return JSON.parse(row.data) as TokenData[P];
  }

  /** Voids every outstanding token of `purpose` (a reset or an email change makes older links void). */
  voidAll(purpose: Purpose): void {
    this.sql.exec('DELETE FROM single_use_tokens WHERE purpose = ?', purpose);
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
    return (await this.take(purpose, token, now))?.data ?? null;
  }

  /**
   * Spends a token and voids the tokens of the same purpose issued after it (with one lifetime
   * per purpose, those expire later): an email change's undo must also void the undo links of
   * changes made after the one it undoes, or whoever made them could undo the owner's undo.
   */
  async spendVoidingLater<P extends Purpose>(
    purpose: P,
    token: string,
    now = Date.now(),
  ): Promise<{ data: TokenData[P]; issuedAt: number } | null> {
    const taken = await this.take(purpose, token, now);
    if (!taken) return null;
    this.sql.exec('DELETE FROM single_use_tokens WHERE purpose = ? AND expires_at > ?', purpose, taken.expiresAt);
    return { data: taken.data, issuedAt: taken.expiresAt - RULES[purpose].ttlMs };
  }

  /** Voids every token, of every purpose (the actor's storage went back in time). */
  voidEverything(): void {
    this.sql.exec('DELETE FROM single_use_tokens');
  }

  private async take<P extends Purpose>(
    purpose: P,
    token: string,
    now: number,
  ): Promise<{ data: TokenData[P]; expiresAt: number } | null> {
    const row = one<{ expires_at: number; data: string }>(
      this.sql,
      'DELETE FROM single_use_tokens WHERE hash = ? AND purpose = ? RETURNING expires_at, data',
      await sha256(token),
      purpose,
    );
    if (!row || row.expires_at <= now) return null;
    return { data: JSON.parse(row.data) as TokenData[P], expiresAt: row.expires_at };
  }
}
