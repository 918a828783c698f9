/**
 * UserObject: one per user. The authority on that user's sessions, lockout and rate-limit
 * counters, and the keeper of a cached copy of the profile. Methods return results; they
 * throw only on bugs.
 */
import { DurableObject } from 'cloudflare:workers';
import { configFrom, type NoticeKind } from '../core/config';
import { addKeyUsage } from '../core/db/api-keys';
import { listConnections } from '../core/db/oauth-accounts';
import type { Profile } from '../core/db/users';
import { log } from '../core/log';
import type { LinkKind } from '../core/mail/templates';
import { recordMetric } from '../core/metrics';
import type { Decision, Window } from '../core/rate-limit';
import { err, ok, type Result } from '../core/result';
import type { EventOut, ReplayOut } from '../core/schemas/events';
import { type WebhookEvent, webhookEvent } from '../core/schemas/webhooks';
import { AttemptGuard, type GuardState } from './shared/attempt-guard';
import { hitCounter } from './shared/counters';
import { migrate } from './shared/migrate';
import { failureReporter } from './shared/report';
import {
  type AuditCursor,
  type AuditEntry,
  type AuditInput,
  type AuditLoad,
  type AuditLoadFailure,
  AuditTrail,
} from './user/audit-trail';
import { Courier } from './user/courier';
import {
  type Ack,
  type AppendFailure,
  type AppendInput,
  EventLog,
  type LogQuota,
  type ResyncRequired,
} from './user/events';
import { KEY_USAGE_FLUSH_MS, type KeyUsage, KeyUsageCounter } from './user/key-usage';
import { KnownClients } from './user/known-clients';
import { deleteExports, type ExportContext, exportedSoFar, exportLog } from './user/log-export';
import { completeLoad, type LoadFailure, type LoadPart, loadEvents } from './user/log-load';
import { type LogState, LogTotals } from './user/log-state';
import { logLimitsOf, runUpkeep } from './user/log-upkeep';
import { type EmailLimited, type Link, Mailer } from './user/mailer';
import { OAuthRefresher } from './user/oauth-refresh';
import { type ProviderAccess, type ProviderAccessFailure, providerAccess } from './user/oauth-token';
import { type Channel, Outbox } from './user/outbox';
import { prepareRestore, type RestoreTarget } from './user/point-in-time';
import { type DeviceActivity, Presence } from './user/presence';
import { ProfileCache } from './user/profile';
import { relayEvent } from './user/relay';
import { Scheduler } from './user/scheduler';
import { USER_MIGRATIONS } from './user/schema';
import {
  type ClientInfo,
  type IssuedSession,
  type RefreshFailure,
  SessionStore,
  type SessionView,
} from './user/sessions';
import { type SnapshotCursor, type SnapshotPage, snapshotPage } from './user/snapshot';

/** What the operator sees of a user's storage (GET /v1/admin/users/{id}/storage). */
export interface StorageStats extends LogState {
  head: number;
  /** The actor's whole SQLite database, as the runtime reports it. */
  databaseBytes: number;
  quota: LogQuota;
  /** The log as exported to R2 by this actor (user/log-export.ts). */
  exported: { seq: number; events: number; bytes: number };
}

import { SingleUseTokens, type TokenData } from './user/single-use-tokens';

export type AuthorizeFailure = { type: 'unauthorized' } | { type: 'rate_limited'; rate: Decision };

/** A redeemed login code: a session, or a second-factor challenge first when MFA is on. */
export type CodeOutcome =
  | { kind: 'session'; session: IssuedSession; profile: Profile; provider: string }
  | { kind: 'mfa'; mfaToken: string; provider: string };

export class UserObject extends DurableObject<Env> {
  private sessions!: SessionStore;
  private passwordGuard!: AttemptGuard;
  private factorGuard!: AttemptGuard;
  private eventLog!: EventLog;
  private presence!: Presence;
  private auditTrail!: AuditTrail;
  private profile!: ProfileCache;
  private tokens!: SingleUseTokens;
  private keyUsage!: KeyUsageCounter;
  private scheduler!: Scheduler;
  private oauthRefresher!: OAuthRefresher;
  private outbox!: Outbox;
  private courier!: Courier;
  private knownClients!: KnownClients;
  private mailer!: Mailer;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => this.open());
  }

  /** The user this actor belongs to: the Worker addresses every user actor by its user id. */
  private get userId(): string {
    const name = this.ctx.id.name;
    if (name === undefined) throw new Error('a UserObject is addressed with getByName(userId)');
    return name;
  }

  private open(): void {
    const sql = this.ctx.storage.sql;
    migrate(this.ctx.storage, USER_MIGRATIONS);
    this.sessions = new SessionStore(sql, this.ctx.storage, this.userId);
    this.passwordGuard = new AttemptGuard(sql);
    this.factorGuard = new AttemptGuard(sql, 'factor_guard');
    this.eventLog = new EventLog(sql, this.ctx.storage);
    this.presence = new Presence(sql);
    this.auditTrail = new AuditTrail(
      sql,
      this.ctx.storage,
      this.env.DB,
      this.userId,
      () => configFrom(this.env).auditRetentionDays * 86_400_000,
      () => this.scheduleExport(),
    );
    this.profile = new ProfileCache(sql);
    this.tokens = new SingleUseTokens(sql, this.userId);
    this.keyUsage = new KeyUsageCounter(sql);
    const reportFailure = failureReporter(() => this.env, this.ctx, 'user');
    this.scheduler = new Scheduler(
      sql,
      this.ctx.storage,
      reportFailure,
      {
        user_id: this.userId,
      },
    );
    this.oauthRefresher = new OAuthRefresher(
      sql,
      this.env.DB,
      () => configFrom(this.env),
      this.userId,
      this.auditTrail,
      this.env.METRICS,
    );
    this.outbox = new Outbox(sql);
    this.knownClients = new KnownClients(sql);
    this.courier = new Courier(
      this.outbox,
      this.env,
      () => configFrom(this.env),
      this.userId,
      reportFailure,
    );
    this.mailer = new Mailer(
      this.ctx.storage,
      this.tokens,
      this.outbox,
      this.scheduler,
      () => configFrom(this.env),
      () => this.erased(),
    );
  }

  /** Stores or refreshes the cached profile after a change in D1. */
  setProfile(profile: Profile): void {
    this.profile.set(profile);
  }

  getProfile(): Profile | null {
    return this.profile.get();
  }

  /** Admits a sign-in attempt under the lockout policy (the `lockout` bucket of RATE_LIMITS). */
  beginLogin(policy: Window): GuardState & { locksIfWrong: boolean } {
    return this.passwordGuard.begin(policy);
  }

  /** A sign-in admitted by `beginLogin` (or a new account): clears the failure count, opens a session. */
  async loginSucceeded(profile: Profile, client: ClientInfo, amr: string[]): Promise<IssuedSession> {
    this.passwordGuard.succeed();
    this.profile.set(profile);
    return this.openSession(client, amr);
  }

  /** Every sign-in opens its session here; one from a new device or address sends the notice. */
  private async openSession(client: ClientInfo, amr: string[]): Promise<IssuedSession> {
    const session = await this.sessions.create(client, amr);
    const email = this.profile.get()?.email;
    if ((await this.knownClients.signedIn(client)) && email) await this.mailer.notify('new_sign_in', email);
    if (configFrom(this.env).webhook) {
      await this.mailer.emit(webhookEvent('session.created', { user_id: this.userId, session_id: session.sessionId }));
    }
    return session;
  }

  async refresh(
    token: string,
    client: ClientInfo,
  ): Promise<Result<IssuedSession & { profile: Profile | null }, RefreshFailure>> {
    const result = await this.sessions.rotate(token, client);
    return result.ok ? ok({ ...result.value, profile: this.profile.get() }) : result;
  }

  /**
   * Every authenticated request passes here: the session must still be live, and the
   * per-user API limit is counted. Returns the cached profile so reads need no D1 query.
   */
  authorize(
    sessionId: string | null,
    limit: Window,
  ): Result<{ rate: Decision; profile: Profile | null; amr: string[]; authTime: number | null }, AuthorizeFailure> {
    if (this.erased()) return err({ type: 'unauthorized' });
    if (sessionId !== null && !this.sessions.touch(sessionId)) return err({ type: 'unauthorized' });
    const rate = hitCounter(this.ctx.storage.sql, 'api', limit, Date.now());
    if (!rate.allowed) return err({ type: 'rate_limited', rate });
    const auth = sessionId ? this.sessions.authOf(sessionId) : null;
    return ok({ rate, profile: this.profile.get(), amr: auth?.amr ?? [], authTime: auth?.authTime ?? null });
  }

  /** A step-up proof passed: the session counts as freshly authenticated (DESIGN.md §3, step-up). */
  stepUp(sessionId: string, method: 'pwd' | 'otp'): Result<null, { type: 'unauthorized' }> {
    if (this.erased()) return err({ type: 'unauthorized' });
    return this.sessions.reauthenticated(sessionId, method) ? ok(null) : err({ type: 'unauthorized' });
  }

  /** Revokes the sessions opened before `before` (a verified email merge); returns how many. */
  revokeSessionsOpenedBefore(before: number): number {
    return this.sessions.revokeOpenedBefore(before);
  }

  listSessions(currentId: string | null): SessionView[] {
    return this.sessions.list(currentId);
  }

  revokeSession(sessionId: string): Result<null, { type: 'not_found' }> {
    return this.sessions.revoke(sessionId) ? ok(null) : err({ type: 'not_found' });
  }

  /**
   * After a point-in-time restore: every session is revoked and every single-use token (emailed
   * links, login codes) voided, since ones spent or revoked since that time would live again.
   */
  forgetRestoredAccess(): number {
    this.tokens.voidEverything();
    return this.sessions.revokeAllBut(null);
  }

  revokeOtherSessions(keepId: string | null): number {
    return this.sessions.revokeAllBut(keepId);
  }

  /** The actor's share of a data export. */
  async exportState(): Promise<{ sessions: SessionView[]; events: EventOut[]; audit_log: AuditEntry[] }> {
    return { sessions: this.sessions.list(null), events: this.eventLog.all(), audit_log: await this.auditTrail.all() };
  }

  /** Forgets everything: every session, counter, cached copy and its own backup in R2 (account deletion). */
  async erase(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.open();
    // A sign-in that raced the deletion must not leave a working session behind.
    this.ctx.storage.kv.put('erased', true);
    // The one thing kept: the app's `user.deleted` event, until it is delivered.
    if (configFrom(this.env).webhook)
      await this.mailer.emit(webhookEvent('user.deleted', { user_id: this.userId }), true);
    // Last: a failure here leaves objects in R2 (the error says so), never state in the actor.
    await deleteExports(this.env.BACKUPS, this.userId);
  }

  private erased(): boolean {
    return this.ctx.storage.kv.get('erased') === true;
  }

  // The second factor of a sign-in, and API keys (DESIGN.md §4).

  /** A correct password on an account with MFA: clears the failure count, opens a challenge. */
  startMfa(): Promise<string> {
    this.passwordGuard.succeed();
    return this.tokens.issue('mfa', { firstFactor: 'pwd' });
  }

  /**
   * Counts an attempt at a challenge before its code is checked: against the token (5) and
   * against the account's second-factor guard, so new mfa_tokens do not buy new guesses.
   */
  async attemptMfa(
    token: string,
    policy: Window,
  ): Promise<Result<null, { type: 'invalid' } | { type: 'locked'; retryAfterS: number }>> {
    const attempt = await this.tokens.attempt('mfa', token);
    if (!attempt.ok) return attempt;
    const guard = this.factorGuard.begin(policy);
    return guard.locked ? err({ type: 'locked', retryAfterS: guard.retryAfterS }) : ok(null);
  }

  /** A second-factor check of a signed-in user (turning MFA off, new backup codes), counted the same way. */
  beginFactorCheck(policy: Window): GuardState {
    return this.factorGuard.begin(policy);
  }

  /** A password re-check of a signed-in user passed (password change, erasure, MFA off). */
  passwordConfirmed(): void {
    this.passwordGuard.succeed();
  }

  /** A second factor passed outside a sign-in. */
  factorConfirmed(): void {
    this.factorGuard.succeed();
  }

  /** A correct second factor: spends the challenge and opens the session. */
  async completeMfa(
    token: string,
    profile: Profile,
    client: ClientInfo,
  ): Promise<Result<IssuedSession, { type: 'invalid' } | { type: 'locked'; retryAfterS: number }>> {
    const challenge = await this.tokens.spend('mfa', token);
    if (!challenge) return err({ type: 'invalid' });
    this.factorGuard.succeed();
    const state = this.passwordGuard.state();
    if (state.locked) return err({ type: 'locked', retryAfterS: state.retryAfterS });
    return ok(await this.loginSucceeded(profile, client, [challenge.firstFactor, 'otp']));
  }

  /** A request authenticated by an API key: counts the per-user limit and the key's use. */
  async authorizeKey(
    keyId: string,
    limit: Window,
  ): Promise<Result<{ rate: Decision; profile: Profile | null }, AuthorizeFailure>> {
    const rate = hitCounter(this.ctx.storage.sql, 'api', limit, Date.now());
    if (!rate.allowed) return err({ type: 'rate_limited', rate });
    this.keyUsage.record(keyId);
    await this.scheduler.atLatest('key_usage', Date.now() + KEY_USAGE_FLUSH_MS);
    return ok({ rate, profile: this.profile.get() });
  }

  /** Uses counted since the last flush to D1, for an up-to-date key list. */
  pendingKeyUsage(): KeyUsage[] {
    return this.keyUsage.pending();
  }

  /** Writes counted API key usage to D1 (at-least-once: counts are subtracted only once written). */
  private async flushKeyUsage(): Promise<null> {
    const pending = this.keyUsage.pending();
    await addKeyUsage(this.env.DB, pending);
    this.keyUsage.clear(pending);
    return null;
  }

  /** The one alarm, shared by every scheduled job (see user/scheduler.ts). */
  override async alarm(): Promise<void> {
    await this.scheduler.run({
      key_usage: () => this.flushKeyUsage(),
      oauth_refresh: (now) => this.oauthRefresher.run(now),
      log_upkeep: async (now) => this.upkeep(now),
      log_export: (now) => exportLog(this.exportContext(), now),
      outbox: (now) => this.courier.run(now),
    });
  }

  /** The log and the audit trail changed: the actor's backup runs once the export delay has passed. */
  private async scheduleExport(): Promise<void> {
    if (this.erased()) return;
    await this.scheduler.atLatest('log_export', Date.now() + configFrom(this.env).actorExportDelayMs);
  }

  private exportContext(): ExportContext {
    return {
      sql: this.ctx.storage.sql,
      bucket: this.env.BACKUPS,
      db: this.env.DB,
      userId: this.userId,
      profile: () => {
        const profile = this.profile.get();
        return profile ? { ...profile } : null;
      },
      auditRevision: () => this.auditTrail.revision(),
    };
  }

  private get logLimits() {
    return logLimitsOf(configFrom(this.env).eventLogLimits);
  }

  /** Purges expired events and compacts superseded ones (user/log-upkeep.ts). */
  private upkeep(now: number): number | null {
    const outcome = runUpkeep(this.ctx.storage.sql, this.ctx.storage, now, this.logLimits.compactAfterMs);
    if (outcome.purged || outcome.compacted) {
      log('info', 'event log upkeep', { user_id: this.userId, purged: outcome.purged, compacted: outcome.compacted });
    }
    return outcome.nextDue;
  }

  // ─── Email links, security notices and the outbox (DESIGN.md §8) ────────────────────────

  /** Emails a single-use link of `kind` to `to`, unless the account's `email` limit is spent. */
  sendLink<K extends LinkKind>(
    kind: K,
    to: string,
    data: TokenData[K],
    limit: Window,
  ): Promise<Result<null, EmailLimited>> {
    return this.mailer.sendLinks([{ kind, to, data } as Link], limit);
  }

  /**
   * An email change: the confirmation link to the new address (left out when `confirm` is
   * false: the address belongs to another account) and the undo link to the old one, as one
   * request against the `email` limit.
   */
  requestEmailChange(from: string, to: string, confirm: boolean, limit: Window): Promise<Result<null, EmailLimited>> {
    const data = { email: from, newEmail: to };
    const undo: Link = { kind: 'email_change_undo', to: from, data };
    return this.mailer.sendLinks(confirm ? [{ kind: 'email_change', to, data }, undo] : [undo], limit);
  }

  /** An emailed link's data, without spending it; null when unknown, spent or expired. */
  peekLink<K extends LinkKind>(kind: K, token: string): Promise<TokenData[K] | null> {
    return this.tokens.peek(kind, token);
  }

  /** Spends an emailed link: its data, or null when unknown, spent or expired. */
  spendLink<K extends LinkKind>(kind: K, token: string): Promise<TokenData[K] | null> {
    return this.tokens.spend(kind, token);
  }

  /** Spends an email change's confirmation link (typed apart: RPC stubs lose generics). */
  spendChangeLink(kind: 'email_change', token: string): Promise<TokenData['email_change'] | null> {
    return this.tokens.spend(kind, token);
  }

  /**
   * Spends an email change's undo link: its data and when it was issued (the change it undoes
   * was asked for then); the undo links of later changes are voided.
   */
  spendUndoLink(token: string): Promise<{ data: TokenData['email_change_undo']; issuedAt: number } | null> {
    return this.tokens.spendVoidingLater('email_change_undo', token);
  }

  /** Voids every outstanding link of `kind` (after a reset, or when the address changed). */
  voidLinks(kind: LinkKind): void {
    this.tokens.voidAll(kind);
  }

  /** A password reset by emailed link went through: the lockout is cleared and other reset links void. */
  passwordReset(to: string): Promise<void> {
    return this.mailer.notify('password_reset', to, () => {
      this.passwordGuard.succeed();
      this.tokens.voidAll('password_reset');
    });
  }

  /** Queues a security notice to `to`, unless the operator turned that kind off (`EMAIL_NOTICES`). */
  notify(kind: NoticeKind, to: string): Promise<void> {
    return this.mailer.notify(kind, to);
  }

  /** Queues an event for the app's webhook; the edge calls it only when WEBHOOK_URL is set. */
  emitHook(event: WebhookEvent): Promise<void> {
    return this.mailer.emit(event);
  }

  /** Puts a dead outbox message back in line (the operator's retry). */
  async retryOutbox(id: string): Promise<Result<null, { type: 'not_found' }>> {
    return (await this.mailer.revive(id)) ? ok(null) : err({ type: 'not_found' });
  }

  /** Messages still held (pending or dead), oldest first. */
  outboxMessages(): { id: string; channel: Channel; status: string; attempts: number }[] {
    return this.outbox.list();
  }

  // The ordered event log and the relay to the user's online devices (DESIGN.md §5).

  /**
   * Appends an event (or acks a retried id again); a new event is relayed after commit, and the
   * upkeep is scheduled for when it expires or when an older version of its key may be compacted.
   */
  async appendEvent(input: AppendInput): Promise<Result<Ack, AppendFailure>> {
    const { quota, compactAfterMs } = this.logLimits;
    const now = Date.now();
    const result = this.eventLog.append(input, quota, now);
    if (!result.ok) return result;
    const { ack, event } = result.value;
    if (!event) return ok(ack);
    recordMetric(this.env.METRICS, { kind: 'event_appended', transport: input.deviceId === null ? 'http' : 'socket' });
    const context = { user_id: this.userId, request_id: input.requestId ?? null };
    this.ctx.waitUntil(relayEvent(this.env, this.presence, event, context));
    const superseding = event.version !== null && event.version > 1 && compactAfterMs !== null;
    const due = Math.min(input.expiresAt ?? Infinity, superseding ? now + compactAfterMs : Infinity);
    if (due !== Infinity) await this.scheduler.atLatest('log_upkeep', due);
    await this.scheduleExport();
    return ok(ack);
  }

  /**
   * POST /v1/events in one round trip: admits the caller (a live session, or an API key, and
   * the `api` limit) as `authorize` / `authorizeKey` do, then appends.
   */
  async admitAndAppend(
    caller: { sessionId: string | null; keyId: string | null },
    limit: Window,
    input: AppendInput,
  ): Promise<Result<{ rate: Decision; appended: Result<Ack, AppendFailure> }, AuthorizeFailure>> {
    const admission =
      caller.keyId !== null ? await this.authorizeKey(caller.keyId, limit) : this.authorize(caller.sessionId, limit);
    if (!admission.ok) return admission;
    return ok({ rate: admission.value.rate, appended: await this.appendEvent(input) });
  }

  /** Events after `after`, oldest first, expired ones left out: the device's own catch-up. */
  replayEvents(after: number, limit: number): ReplayOut {
    return this.eventLog.replay(after, limit);
  }

  /** A client's replay (HTTP, socket): refused before the compaction horizon. */
  replayFrom(after: number, limit: number): Result<ReplayOut, ResyncRequired> {
    return this.eventLog.replayFrom(after, limit);
  }

  /** A page of the current value of every live keyed event (user/snapshot.ts). */
  snapshotEvents(after: SnapshotCursor | null, limit: number): SnapshotPage {
    return snapshotPage(this.ctx.storage.sql, this.eventLog.head(), after, limit);
  }

  /** The operator's restore: a batch of a backup's events (user/log-load.ts). */
  loadLog(part: LoadPart): Result<{ events: number }, LoadFailure> {
    return loadEvents(this.ctx.storage.sql, this.ctx.storage, part);
  }

  /**
   * The operator's restore, after the last batch: the log is exported again from this
   * environment, and the connections' token refreshes are scheduled again.
   */
  async completeLog(state: Parameters<typeof completeLoad>[2]): Promise<{ events: number; head: number }> {
    const done = completeLoad(this.ctx.storage.sql, this.ctx.storage, state);
    // The refresh schedules of the user's connections are not in a backup: re-armed from D1.
    for (const connection of await listConnections(this.env.DB, this.userId)) {
      this.oauthRefresher.track(connection.provider, connection.refreshTokenEnc ? connection.expiresAt : null);
    }
    await this.scheduler.set('oauth_refresh', this.oauthRefresher.nextDue());
    await this.scheduler.atLatest('log_upkeep', Date.now());
    await this.scheduleExport();
    return done;
  }

  /** The operator's restore: a batch of a backup's audit trail (user/audit-trail.ts); the trail is exported again. */
  loadAudit(part: AuditLoad): Promise<Result<{ entries: number }, AuditLoadFailure>> {
    return this.auditTrail.load(part);
  }

  /**
   * Point-in-time recovery, step one: arranges for the actor's storage to come back as it was
   * at `at` (or at a bookmark) when it next starts; answers that bookmark and the current one,
   * which undoes it. Step two is `restart`.
   */
  prepareRestore(target: RestoreTarget): ReturnType<typeof prepareRestore> {
    return prepareRestore(this.ctx.storage, target);
  }

  /** Point-in-time recovery, step two: ends this instance, so the next call finds the restored storage. */
  restart(): void {
    this.ctx.abort('restoring a point in time');
  }

  /** Sizes and counts of this user's storage, for the operator. */
  storageStats(): StorageStats {
    return {
      ...new LogTotals(this.ctx.storage.sql).read(),
      databaseBytes: this.ctx.storage.sql.databaseSize,
      quota: this.logLimits.quota,
      exported: exportedSoFar(this.ctx.storage.sql),
    };
  }

  /** A DeviceObject reports whether it has a live socket; answers the log's head. */
  devicePresence(deviceId: string, online: boolean, stamp: number): number {
    this.presence.report(deviceId, online, stamp);
    return this.eventLog.head();
  }

  /** Each device that ever connected: whether it has a live socket, and when it was last seen. */
  deviceActivity(): DeviceActivity[] {
    return this.presence.activity();
  }

  // ─── The audit trail ───────────────────────────────────────────────────────────────────

  /** Writes an entry; the actor's backup is scheduled as after an append. */
  /** Records an audit entry, then queues the app's webhook event and the owner's notice it leads to. */
  async recordAudit(
    input: AuditInput,
    follow: { hook?: WebhookEvent | null; notice?: { kind: NoticeKind; to: string } | null } = {},
  ): Promise<void> {
    await this.auditTrail.record(input);
    if (follow.hook) await this.mailer.emit(follow.hook);
    if (follow.notice) await this.mailer.notify(follow.notice.kind, follow.notice.to);
  }

  listAudit(limit: number, before: AuditCursor | null): Promise<{ entries: AuditEntry[]; more: boolean }> {
    return this.auditTrail.list(limit, before);
  }

  // ─── OAuth login and connected accounts (DESIGN.md §6) ───────────────────────────────────

  /** After a provider callback: caches the profile and issues a 60 s single-use login code. */
  issueLoginCode(profile: Profile, provider: string): Promise<string> {
    this.profile.set(profile);
    return this.tokens.issue('login_code', { amr: ['oauth'], provider });
  }

  /** Spends a login code for a session, or for an MFA challenge when the account has MFA on. */
  async redeemLoginCode(code: string, client: ClientInfo): Promise<Result<CodeOutcome, { type: 'invalid' }>> {
    const redeemed = await this.tokens.spend('login_code', code);
    const profile = this.profile.get();
    if (!redeemed || !profile) return err({ type: 'invalid' });
    if (profile.mfa_enabled) {
      return ok({
        kind: 'mfa',
        mfaToken: await this.tokens.issue('mfa', { firstFactor: 'oauth' }),
        provider: redeemed.provider,
      });
    }
    const session = await this.openSession(client, redeemed.amr);
    return ok({ kind: 'session', session, profile, provider: redeemed.provider });
  }

  /** Cookie mode: the callback opens the session itself. Never for an account with MFA on. */
  openOAuthSession(profile: Profile, client: ClientInfo): Promise<IssuedSession> {
    this.profile.set(profile);
    return this.openSession(client, ['oauth']);
  }

  /** Refreshes the connection's tokens from the alarm when 5 minutes of their life remain. */
  async trackConnection(provider: string, expiresAt: number | null): Promise<void> {
    this.oauthRefresher.track(provider, expiresAt);
    await this.scheduler.set('oauth_refresh', this.oauthRefresher.nextDue());
  }

  /**
   * A provider access token valid for at least `minTtlMs` (refreshed first if need be), under
   * the per-user `provider_token` limit.
   */
  async providerToken(
    provider: string,
    minTtlMs: number,
    limit: Window,
  ): Promise<Result<ProviderAccess, ProviderAccessFailure | { type: 'rate_limited'; rate: Decision }>> {
    if (this.erased()) return err({ type: 'not_found' });
    const rate = hitCounter(this.ctx.storage.sql, 'provider_token', limit, Date.now());
    if (!rate.allowed) return err({ type: 'rate_limited', rate });
    const config = configFrom(this.env);
    const result = await providerAccess(this.env.DB, config, this.oauthRefresher, this.userId, provider, minTtlMs);
    await this.scheduler.set('oauth_refresh', this.oauthRefresher.nextDue());
    return result;
  }

  /** Stops refreshing an unlinked connection. */
  async forgetConnection(provider: string): Promise<void> {
    this.oauthRefresher.forget(provider);
    await this.scheduler.set('oauth_refresh', this.oauthRefresher.nextDue());
  }
}
