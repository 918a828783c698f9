import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  type ActorState,
  auditKey,
  segmentKey,
  type UserManifest,
  userManifestKey,
  userRoot,
} from '../core/backup/actor-format';
import { sha256Hex } from '../core/backup/load';
import { gunzip } from '../core/backup/ndjson';
import type { BackupOut } from '../core/schemas/admin';
import { exportLog } from '../objects/user/log-export';
import { backupNow, listKeys, readBytes, readManifest, readRows } from './backup-helpers';
import { auditTrail, call, login, signup, type Tokens } from './helpers';
import { outboxDrained } from './mail';

/** Runs the user actor's alarm once the signup's mail has left, so the forced alarm is the export's. */
async function alarmAfterMail(userId: string): Promise<boolean> {
  await outboxDrained(userId);
  return runDurableObjectAlarm(env.USER.getByName(userId));
}

const actor = (user: Tokens) => env.USER.getByName(user.user.id);
const post = (user: Tokens, body: unknown) => call('/v1/events', { method: 'POST', token: user.access_token, body });

async function append(user: Tokens, count: number, prefix = 'e'): Promise<void> {
  for (let n = 0; n < count; n++) {
    const response = await post(user, {
      id: `${prefix}-${n}-${crypto.randomUUID()}`,
      stream: 's',
      key: `k${n % 3}`,
      payload: { n },
    });
    expect(response.status).toBe(201);
  }
}

async function userManifest(user: Tokens): Promise<UserManifest> {
  const bytes = await readBytes(userManifestKey(user.user.id));
  if (!bytes) throw new Error('no user manifest');
  return JSON.parse(new TextDecoder().decode(bytes)) as UserManifest;
}

const revisionOf = (state: DurableObjectState) => state.storage.kv.get<number>('audit:revision') ?? 0;

const exportRow = (user: Tokens) =>
  env.DB.prepare('SELECT chain, last_seq, events, segments FROM user_exports WHERE user_id = ?1')
    .bind(user.user.id)
    .first();

const auditRow = (user: Tokens) =>
  env.DB.prepare('SELECT audit_key, audit_entries FROM user_exports WHERE user_id = ?1').bind(user.user.id).first();

describe('each user actor exports its own log', () => {
  it('writes a base segment of every event, its state and a manifest from its alarm after an append', async () => {
    const user = await signup();
    await append(user, 5);
    expect(await alarmAfterMail(user.user.id)).toBe(true);
    const manifest = await userManifest(user);
    expect(manifest.segments).toHaveLength(1);
    const [segment] = manifest.segments;
    expect(segment).toMatchObject({ kind: 'base', chain: 1, after: 0, last_seq: 5, events: 5 });
    expect(segment!.key).toBe(segmentKey(user.user.id, 1, 0, 5));
    expect(await sha256Hex((await readBytes(segment!.key))!)).toBe(segment!.sha256);
    const rows = await readRows(segment!.key);
    expect(rows.map((row) => row.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]).toEqual({
      seq: 1,
      id: expect.stringMatching(/^e-0-/),
      device_id: null,
      stream: 's',
      key: 'k0',
      version: 1,
      payload: '{"n":0}',
      at: expect.any(Number),
      expires_at: null,
    });
    expect(await exportRow(user)).toEqual({ chain: 1, last_seq: 5, events: 5, segments: 1 });
  });

  it('writes only the new events as a delta next time, and nothing when nothing changed', async () => {
    const user = await signup();
    await append(user, 3);
    await alarmAfterMail(user.user.id);
    await append(user, 2, 'more');
    await alarmAfterMail(user.user.id);
    const keys = await listKeys(userRoot(user.user.id));
    const again = await runInDurableObject(actor(user), (_instance, state) =>
      exportLog(
        {
          sql: state.storage.sql,
          bucket: env.BACKUPS,
          db: env.DB,
          userId: user.user.id,
          profile: () => null,
          auditRevision: () => revisionOf(state),
        },
        Date.now(),
      ),
    );
    expect(again).toBeNull();
    expect(await listKeys(userRoot(user.user.id))).toEqual(keys);
    const manifest = await userManifest(user);
    expect(manifest.segments.map((s) => [s.kind, s.after, s.last_seq, s.events])).toEqual([
      ['base', 0, 3, 3],
      ['delta', 3, 5, 2],
    ]);
    expect((await readRows(manifest.segments[1]!.key)).map((row) => row.seq)).toEqual([4, 5]);
    expect(await exportRow(user)).toEqual({ chain: 1, last_seq: 5, events: 5, segments: 2 });
    const stats = await call(`/v1/admin/users/${user.user.id}/storage`, { token: env.ADMIN_TOKEN });
    const bytes = manifest.segments.reduce((sum, s) => sum + s.bytes, 0);
    expect(await stats.json()).toMatchObject({ head: 5, exported: { seq: 5, events: 5, bytes } });
  });

  it('resumes after D1 failed to take the report: the segment is kept, and reported by the next run', async () => {
    const user = await signup();
    await append(user, 2);
    const brokenDb = {
      prepare: () => {
        throw new Error('D1_ERROR: disk full');
      },
    } as unknown as D1Database;
    const context = (db: D1Database, state: DurableObjectState) => ({
      sql: state.storage.sql,
      bucket: env.BACKUPS,
      db,
      userId: user.user.id,
      profile: () => null,
      auditRevision: () => revisionOf(state),
    });
    await runInDurableObject(actor(user), async (_instance, state) => {
      await expect(exportLog(context(brokenDb, state), Date.now())).rejects.toThrow(/disk full/);
    });
    expect(await exportRow(user)).toBeNull();
    const keys = await listKeys(userRoot(user.user.id));
    // The segment, its state, the audit trail and the manifest.
    expect(keys).toHaveLength(4);
    await runInDurableObject(actor(user), (_instance, state) => exportLog(context(env.DB, state), Date.now()));
    expect(await exportRow(user)).toEqual({ chain: 1, last_seq: 2, events: 2, segments: 1 });
    expect(await listKeys(userRoot(user.user.id))).toEqual(keys);
  });

  it('writes session metadata and the profile beside the log, never a refresh key or token', async () => {
    const user = await signup({ name: 'Ada' });
    await append(user, 1);
    await alarmAfterMail(user.user.id);
    const [segment] = (await userManifest(user)).segments;
    const bytes = (await readBytes(segment!.state_key))!;
    expect(await sha256Hex(bytes)).toBe(segment!.state_sha256);
    const text = new TextDecoder().decode(await gunzip(bytes));
    const state = JSON.parse(text) as ActorState;
    expect(state).toMatchObject({ user_id: user.user.id, last_seq: 1, horizon: 0, profile: { name: 'Ada' } });
    expect(state.sessions).toHaveLength(1);
    expect(Object.keys(state.sessions[0]!).sort()).toEqual(
      ['amr', 'created_at', 'expires_at', 'id', 'last_used_at', 'revoked_at'].sort(),
    );
    const secrets = await runInDurableObject(actor(user), (_instance, s) =>
      s.storage.sql.exec<{ refresh_key: string }>('SELECT refresh_key FROM sessions').toArray(),
    );
    for (const { refresh_key } of secrets) expect(text).not.toContain(refresh_key);
    expect(text).not.toContain(user.refresh_token.split('.').at(-1)!);
  });

  it('starts a new chain with a base when deltas pile up, and deletes the old chain when no backup needs it', async () => {
    const user = await signup();
    for (let n = 0; n < 34; n++) {
      await append(user, 1, `round${n}`);
      await alarmAfterMail(user.user.id);
    }
    const manifest = await userManifest(user);
    const chains = [...new Set(manifest.segments.map((s) => s.chain))];
    // No complete or running backup exists in this file yet: the first chain is needed by none.
    expect(chains).toEqual([2]);
    expect(manifest.segments[0]).toMatchObject({ kind: 'base', chain: 2, after: 0, last_seq: 34, events: 34 });
    const keys = await listKeys(userRoot(user.user.id));
    expect(keys.filter((key) => /\/(log|state)-000000000001-/.test(key))).toEqual([]);
    expect(await exportRow(user)).toEqual({ chain: 2, last_seq: 34, events: 34, segments: 1 });
  });

  it('keeps a superseded chain while a retained backup started before it was superseded', async () => {
    await backupNow();
    const user = await signup();
    for (let n = 0; n < 34; n++) {
      await append(user, 1, `kept${n}`);
      await alarmAfterMail(user.user.id);
    }
    const chains = new Set((await userManifest(user)).segments.map((s) => s.chain));
    expect([...chains]).toEqual([1, 2]);
  });

  it('deletes everything the user exported when the account is erased', async () => {
    const user = await signup();
    await append(user, 2);
    await alarmAfterMail(user.user.id);
    expect((await listKeys(userRoot(user.user.id))).length).toBe(4);
    const erased = await call('/v1/me', {
      method: 'DELETE',
      token: user.access_token,
      body: { password: user.password },
    });
    expect(erased.status).toBe(204);
    expect(await listKeys(userRoot(user.user.id))).toEqual([]);
    expect(await exportRow(user)).toBeNull();
  });
});

describe('a backup run covers the user actors', () => {
  it('reports the users and events of its cut, and its manifest says the same', async () => {
    const users = [await signup(), await signup()];
    await append(users[0]!, 4);
    await append(users[1]!, 2);
    for (const user of users) await alarmAfterMail(user.user.id);
    const expected = await env.DB.prepare('SELECT COUNT(*) AS users, SUM(events) AS events FROM user_exports').first<{
      users: number;
      events: number;
    }>();
    const id = await backupNow();
    const response = await call(`/v1/admin/backups/${id}`, { token: env.ADMIN_TOKEN });
    const run = (await response.json()) as BackupOut;
    expect(run).toMatchObject({ status: 'complete', users: expected!.users, events: expected!.events });
    expect(run.tables.map((t) => t.name)).toContain('user_exports');
    const manifest = await readManifest(run.prefix);
    expect(manifest.actors).toEqual({ table: 'user_exports', users: expected!.users, events: expected!.events });
  });
});

describe('the audit trail is part of the user actor’s backup', () => {
  const jobDue = (user: Tokens) =>
    runInDurableObject(actor(user), (_instance, state) =>
      state.storage.sql
        .exec<{ due_at: number }>("SELECT due_at FROM scheduled_jobs WHERE job = 'log_export'")
        .toArray()
        .map((row) => row.due_at),
    );
  const revision = (user: Tokens) => runInDurableObject(actor(user), (_instance, state) => revisionOf(state));

  it('schedules the export when an entry is written, with the delay of an append', async () => {
    const user = await signup();
    await alarmAfterMail(user.user.id);
    expect(await jobDue(user)).toEqual([]);
    const before = Date.now();
    await actor(user).recordAudit({ type: 'logout' });
    const [due] = await jobDue(user);
    // ACTOR_EXPORT_DELAY_S is 60.
    expect(due).toBeGreaterThanOrEqual(before + 60_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('writes the whole trail as its own object in the manifest, even when no event was appended', async () => {
    const user = await signup();
    expect((await login(user.email, user.password)).status).toBe(200);
    expect(await alarmAfterMail(user.user.id)).toBe(true);
    const manifest = await userManifest(user);
    // An empty log still gets a base, so the trail has a chain to be reported with.
    expect(manifest.segments.map((s) => [s.chain, s.kind, s.last_seq, s.events])).toEqual([[1, 'base', 0, 0]]);
    expect(manifest.audit).toHaveLength(1);
    const [audit] = manifest.audit;
    expect(audit).toMatchObject({ chain: 1, revision: await revision(user), entries: 2 });
    expect(audit!.key).toBe(auditKey(user.user.id, 1, audit!.revision));
    expect(await sha256Hex((await readBytes(audit!.key))!)).toBe(audit!.sha256);
    const rows = await readRows(audit!.key);
    const trail = await auditTrail(user.user.id);
    expect(rows).toEqual(trail.map((e) => ({ ...e, details: e.details ? JSON.stringify(e.details) : null })));
    expect(rows.map((row) => row.type)).toEqual(['signup', 'login_succeeded']);
    expect(await auditRow(user)).toEqual({ audit_key: audit!.key, audit_entries: 2 });
    expect(await exportRow(user)).toEqual({ chain: 1, last_seq: 0, events: 0, segments: 1 });
  });

  it('writes the trail again only when it changed, with the log or without it', async () => {
    const user = await signup();
    await append(user, 2);
    await alarmAfterMail(user.user.id);
    const keys = await listKeys(userRoot(user.user.id));
    await append(user, 1, 'more');
    await alarmAfterMail(user.user.id);
    const afterAppend = await listKeys(userRoot(user.user.id));
    // A delta and its state; the trail did not change, so no new audit object.
    expect(afterAppend.filter((key) => key.includes('/audit-'))).toEqual(keys.filter((key) => key.includes('/audit-')));
    await actor(user).recordAudit({ type: 'session_revoked', details: { session_id: 's1' } });
    await alarmAfterMail(user.user.id);
    const manifest = await userManifest(user);
    expect(manifest.segments).toHaveLength(2);
    const latest = manifest.audit.at(-1)!;
    expect(latest).toMatchObject({ revision: await revision(user), entries: 2 });
    expect((await readRows(latest.key)).at(-1)).toMatchObject({
      type: 'session_revoked',
      details: '{"session_id":"s1"}',
    });
    expect(await auditRow(user)).toEqual({ audit_key: latest.key, audit_entries: 2 });
    // A backup of this file started before the first trail was superseded: it may still need it.
    expect(manifest.audit).toHaveLength(2);
  });

  it('never writes a secret into the trail’s object', async () => {
    const user = await signup();
    const signedIn = (await (await login(user.email, user.password)).json()) as { refresh_token: string };
    await alarmAfterMail(user.user.id);
    const [audit] = (await userManifest(user)).audit;
    const text = new TextDecoder().decode(await gunzip((await readBytes(audit!.key))!));
    for (const secret of [user.password, user.refresh_token, signedIn.refresh_token]) {
      expect(text).not.toContain(secret.split('.').at(-1)!);
    }
  });
});
