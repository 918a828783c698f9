/**
 * UserObject: one per user. The authority on that user's sessions, lockout and rate-limit
 * counters, and the keeper of a cached copy of the profile. Methods return results; they
 * throw only on bugs.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Profile } from '../core/db/users';
import type { Decision, Window } from '../core/rate-limit';
import { err, ok, type Result } from '../core/result';
import type { EventOut, ReplayOut } from '../core/schemas/events';
import { hitCounter } from './shared/counters';
import { type Ack, type AppendFailure, type AppendInput, EventLog } from './user/events';
import { type GuardState, LoginGuard } from './user/login-guard';
import { Presence } from './user/presence';
import { ProfileCache } from './user/profile';
import { relayEvent } from './user/relay';
import { USER_DDL } from './user/schema';
import {
  type ClientInfo,
  type IssuedSession,
  type RefreshFailure,
  SessionStore,
  type SessionView,
} from './user/sessions';

export type AuthorizeFailure = { type: 'unauthorized' } | { type: 'rate_limited'; rate: Decision };

export class UserObject extends DurableObject<Env> {
  private sessions!: SessionStore;
  private guard!: LoginGuard;
  private profile!: ProfileCache;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => this.open());
  }

  private open(): void {
    const sql = this.ctx.storage.sql;
    for (const statement of USER_DDL) sql.exec(statement);
    this.sessions = new SessionStore(sql, this.ctx.storage);
    this.guard = new LoginGuard(sql);
    this.profile = new ProfileCache(sql);
  }

  /** Stores or refreshes the cached profile after a change in D1. */
  setProfile(profile: Profile): void {
    this.profile.set(profile);
  }

  getProfile(): Profile | null {
    return this.profile.get();
  }

  /** Whether a sign-in may be attempted now. */
  loginState(): GuardState {
    return this.guard.state();
  }

  /** Counts a failed sign-in against the lockout policy (the `lockout` bucket of RATE_LIMITS). */
  loginFailed(policy: Window): GuardState & { justLocked: boolean } {
    return this.guard.fail(policy);
  }

  /** A correct password (and second factor, if any): resets the failure count and opens a session. */
  async loginSucceeded(
    profile: Profile,
    client: ClientInfo,
    amr: string[],
  ): Promise<Result<IssuedSession, { type: 'locked'; retryAfterS: number }>> {
    const state = this.guard.state();
    if (state.locked) return err({ type: 'locked', retryAfterS: state.retryAfterS });
    this.guard.succeed();
    this.profile.set(profile);
    return ok(await this.sessions.create(profile.id, client, amr));
  }

  async refresh(
    userId: string,
    token: string,
    client: ClientInfo,
  ): Promise<Result<IssuedSession & { profile: Profile | null }, RefreshFailure>> {
    const result = await this.sessions.rotate(userId, token, client);
    return result.ok ? ok({ ...result.value, profile: this.profile.get() }) : result;
  }

  /**
   * Every authenticated request passes here: the session must still be live, and the
   * per-user API limit is counted. Returns the cached profile so reads need no D1 query.
   */
  authorize(
    sessionId: string | null,
    limit: Window,
  ): Result<{ rate: Decision; profile: Profile | null; amr: string[] }, AuthorizeFailure> {
    if (sessionId !== null && !this.sessions.touch(sessionId)) return err({ type: 'unauthorized' });
    const rate = hitCounter(this.ctx.storage.sql, 'api', limit, Date.now());
    if (!rate.allowed) return err({ type: 'rate_limited', rate });
    return ok({ rate, profile: this.profile.get(), amr: sessionId ? this.sessions.amrOf(sessionId) : [] });
  }

  listSessions(currentId: string | null): SessionView[] {
    return this.sessions.list(currentId);
  }

  revokeSession(sessionId: string): Result<null, { type: 'not_found' }> {
    return this.sessions.revoke(sessionId) ? ok(null) : err({ type: 'not_found' });
  }

  revokeOtherSessions(keepId: string | null): number {
    return this.sessions.revokeAllBut(keepId);
  }

  /** The actor's share of a data export. */
  exportState(): { sessions: SessionView[]; events: EventOut[] } {
    return { sessions: this.sessions.list(null), events: this.eventLog.all() };
  }

  /** Forgets everything: every session, counter and cached copy (account deletion). */
  async erase(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.open();
  }

  // The ordered event log and the relay to the user's online devices (DESIGN.md §5).

  private get eventLog(): EventLog {
    return new EventLog(this.ctx.storage.sql, this.ctx.storage);
  }

  private get presence(): Presence {
    return new Presence(this.ctx.storage.sql);
  }

  /** Appends an event (or acks a retried id again); a new event is relayed after commit. */
  appendEvent(input: AppendInput): Result<Ack, AppendFailure> {
    const result = this.eventLog.append(input);
    if (!result.ok) return result;
    const { ack, event } = result.value;
    if (event) this.ctx.waitUntil(relayEvent(this.env, this.presence, event));
    return ok(ack);
  }

  /** Events after `after`, oldest first, expired ones left out. */
  replayEvents(after: number, limit: number): ReplayOut {
    return this.eventLog.replay(after, limit);
  }

  /** A DeviceObject reports whether it has a live socket; answers the log's head. */
  devicePresence(deviceId: string, online: boolean, stamp: number): number {
    this.presence.report(deviceId, online, stamp);
    return this.eventLog.head();
  }

  /** Ids of the devices with a live socket. */
  onlineDevices(): string[] {
    return this.presence.online();
  }
}
