/**
 * Sessions and their refresh-token families. A refresh token is `<user id>.<secret>`: the
 * prefix routes it to this actor, only its SHA-256 is stored, and each use spends it for a
 * successor derived as HMAC(session key, token), so a retry within the grace period gets the
 * very same successor without the actor keeping any plaintext.
 */
import { base64url, randomId, sha256, utf8 } from '../../core/encoding';
import { err, ok, type Result } from '../../core/result';
import { newUserToken } from '../../core/user-token';
import { all, one } from '../shared/query';

export const SESSION_IDLE_MS = 30 * 24 * 3600 * 1000;
export const SESSION_ABSOLUTE_MS = 90 * 24 * 3600 * 1000;
export const REFRESH_GRACE_MS = 10_000;
const TOUCH_EVERY_MS = 60_000;

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

interface SessionRow extends Record<string, SqlStorageValue> {
  id: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  absolute_expires_at: number;
  user_agent: string | null;
  ip: string | null;
  amr: string;
  refresh_key: string;
  revoked_at: number | null;
  /** When the user last proved who they are in this session (sign-in or step-up); refresh never moves it. */
  auth_time: number;
}

export interface SessionView {
  id: string;
  created_at: string;
  last_used_at: string;
  user_agent: string | null;
  ip: string | null;
  current: boolean;
}

export interface IssuedSession {
  sessionId: string;
  refreshToken: string;
  amr: string[];
  /** Milliseconds: the last real authentication of the session, carried as the `auth_time` claim. */
  authTime: number;
}

export type RefreshFailure = { type: 'invalid' } | { type: 'reused'; sessionId: string };

async function successorOf(token: string, refreshKey: string, userId: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', utf8(refreshKey), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = await crypto.subtle.sign('HMAC', key, utf8(token));
  return `${userId}.${base64url(new Uint8Array(mac))}`;
}

export class SessionStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
    private readonly userId: string,
  ) {}

  private row(id: string): SessionRow | undefined {
    return one<SessionRow>(this.sql, 'SELECT * FROM sessions WHERE id = ?', id);
  }

  private lookup(hash: string, now: number): { record: { used_at: number | null }; session: SessionRow } | null {
    const record = one<{ session_id: string; used_at: number | null }>(
      this.sql,
      'SELECT session_id, used_at FROM refresh_tokens WHERE hash = ?',
      hash,
    );
    const session = record ? this.row(record.session_id) : undefined;
    return record && this.isLive(session, now) ? { record, session } : null;
  }

  private isLive(session: SessionRow | undefined, now: number): session is SessionRow {
    return !!session && session.revoked_at === null && session.expires_at > now && session.absolute_expires_at > now;
  }

  async create(client: ClientInfo, amr: string[], now = Date.now()): Promise<IssuedSession> {
    const sessionId = randomId();
    const refreshToken = newUserToken(this.userId);
    const hash = await sha256(refreshToken);
    this.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO sessions (id, created_at, last_used_at, expires_at, absolute_expires_at, user_agent, ip, amr, refresh_key, auth_time)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        sessionId,
        now,
        now,
        now + SESSION_IDLE_MS,
        now + SESSION_ABSOLUTE_MS,
        client.userAgent?.slice(0, 512) ?? null,
        client.ip,
        JSON.stringify(amr),
        randomId(32),
        now,
      );
      this.sql.exec('INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES (?, ?, ?)', hash, sessionId, now);
    });
    return { sessionId, refreshToken, amr, authTime: now };
  }

  /** Spends a refresh token for its successor (RFC 9700 §4.14.2 rotation with reuse detection). */
  async rotate(token: string, client: ClientInfo, now = Date.now()): Promise<Result<IssuedSession, RefreshFailure>> {
    const hash = await sha256(token);
    const found = this.lookup(hash, now);
    if (!found) return err({ type: 'invalid' });
    const successor = await successorOf(token, found.session.refresh_key, this.userId);
    const successorHash = await sha256(successor);
    // Other calls may have run while the digests were computed: decide on a fresh read.
    const current = this.lookup(hash, now);
    if (!current) return err({ type: 'invalid' });
    const { record, session } = current;
    const amr = JSON.parse(session.amr) as string[];
    if (record.used_at !== null) {
      if (now - record.used_at <= REFRESH_GRACE_MS)
        return ok({ sessionId: session.id, refreshToken: successor, amr, authTime: session.auth_time });
      this.revoke(session.id, now);
      return err({ type: 'reused', sessionId: session.id });
    }
    this.storage.transactionSync(() => {
      this.sql.exec('UPDATE refresh_tokens SET used_at = ? WHERE hash = ?', now, hash);
      this.sql.exec(
        'INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES (?, ?, ?)',
        successorHash,
        session.id,
        now,
      );
      // Spent tokens older than the grace period are only needed to detect reuse; keep the family's last few.
      this.sql.exec(
        `DELETE FROM refresh_tokens WHERE session_id = ? AND used_at IS NOT NULL AND hash NOT IN
           (SELECT hash FROM refresh_tokens WHERE session_id = ? ORDER BY created_at DESC LIMIT 20)`,
        session.id,
        session.id,
      );
      this.sql.exec(
        'UPDATE sessions SET last_used_at = ?, expires_at = MIN(?, absolute_expires_at), ip = ?, user_agent = COALESCE(?, user_agent) WHERE id = ?',
        now,
        now + SESSION_IDLE_MS,
        client.ip,
        client.userAgent?.slice(0, 512) ?? null,
        session.id,
      );
    });
    return ok({ sessionId: session.id, refreshToken: successor, amr, authTime: session.auth_time });
  }

  /** True when the session may act now; records its use at most once a minute. */
  touch(sessionId: string, now = Date.now()): boolean {
    const session = this.row(sessionId);
    if (!this.isLive(session, now)) return false;
    if (now - session.last_used_at > TOUCH_EVERY_MS) {
      this.sql.exec('UPDATE sessions SET last_used_at = ? WHERE id = ?', now, sessionId);
    }
    return true;
  }

  /** The session's methods and last real authentication, for a request it authorises. */
  authOf(sessionId: string): { amr: string[]; authTime: number } | null {
    const session = this.row(sessionId);
    return session ? { amr: JSON.parse(session.amr) as string[], authTime: session.auth_time } : null;
  }

  /**
   * A step-up proof (password or second factor) passed in a live session: its authentication
   * is recent again, and the method joins its `amr`.
   */
  reauthenticated(sessionId: string, method: string, now = Date.now()): boolean {
    const session = this.row(sessionId);
    if (!this.isLive(session, now)) return false;
    const amr = JSON.parse(session.amr) as string[];
    if (!amr.includes(method)) amr.push(method);
    this.sql.exec('UPDATE sessions SET auth_time = ?, amr = ? WHERE id = ?', now, JSON.stringify(amr), sessionId);
    return true;
  }

  /** Revokes every live session opened before `before` (ways in that predate a verification). */
  revokeOpenedBefore(before: number, now = Date.now()): number {
    const ids = this.list(null, now)
      .filter((s) => Date.parse(s.created_at) < before)
      .map((s) => s.id);
    for (const id of ids) this.revoke(id, now);
    return ids.length;
  }

  list(currentId: string | null, now = Date.now()): SessionView[] {
    return all<SessionRow>(
      this.sql,
      'SELECT * FROM sessions WHERE revoked_at IS NULL AND expires_at > ? AND absolute_expires_at > ? ORDER BY created_at DESC',
      now,
      now,
    ).map((s) => ({
      id: s.id,
      created_at: new Date(s.created_at).toISOString(),
      last_used_at: new Date(s.last_used_at).toISOString(),
      user_agent: s.user_agent,
      ip: s.ip,
      current: s.id === currentId,
    }));
  }

  /** Revokes a live session; false when there is no such live session. */
  revoke(sessionId: string, now = Date.now()): boolean {
    const session = this.row(sessionId);
    if (!this.isLive(session, now)) return false;
    this.storage.transactionSync(() => {
      this.sql.exec('UPDATE sessions SET revoked_at = ? WHERE id = ?', now, sessionId);
      this.sql.exec('DELETE FROM refresh_tokens WHERE session_id = ? AND used_at IS NULL', sessionId);
    });
    return true;
  }

  /** Revokes every live session but `keepId`; returns how many. */
  revokeAllBut(keepId: string | null, now = Date.now()): number {
    const ids = this.list(keepId, now)
      .filter((s) => s.id !== keepId)
      .map((s) => s.id);
    for (const id of ids) this.revoke(id, now);
    return ids.length;
  }
}
