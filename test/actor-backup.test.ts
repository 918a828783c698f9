import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { type ActorState, segmentKey, type UserManifest, userManifestKey, userRoot } from '../core/backup/actor-format';
import { sha256Hex } from '../core/backup/load';
import { gunzip } from '../core/backup/ndjson';
import type { BackupOut } from '../core/schemas/admin';
import { exportLog } from '../objects/user/log-export';
import { backupNow, listKeys, readBytes, readManifest, readRows } from './backup-helpers';
import { call, signup, type Tokens } from './helpers';

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

describe('each user actor exports its own log', () => {
  it('writes a base segment of every event, its state and a manifest from its alarm after an append', async () => {
    const user = await signup();
    await append(user, 5);
    expect(await runDurableObjectAlarm(actor(user))).toBe(true);
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
    await runDurableObjectAlarm(actor(user));
    await append(user, 2, 'more');
    await runDurableObjectAlarm(actor(user));
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
    expect(keys).toHaveLength(3);
    await runInDurableObject(actor(user), (_instance, state) => exportLog(context(env.DB, state), Date.now()));
    expect(await exportRow(user)).toEqual({ chain: 1, last_seq: 2, events: 2, segments: 1 });
    expect(await listKeys(userRoot(user.user.id))).toEqual(keys);
  });

  it('writes session metadata and the profile beside the log, never a refresh key or token', async () => {
    const user = await signup({ name: 'Ada' });
    await append(user, 1);
    await runDurableObjectAlarm(actor(user));
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
      await runDurableObjectAlarm(actor(user));
    }
    const manifest = await userManifest(user);
    const chains = [...new Set(manifest.segments.map((s) => s.chain))];
    // No complete or running backup exists in this file yet: the first chain is needed by none.
    expect(chains).toEqual([2]);
    expect(manifest.segments[0]).toMatchObject({ kind: 'base', chain: 2, after: 0, last_seq: 34, events: 34 });
    const keys = await listKeys(userRoot(user.user.id));
    expect(keys.filter((key) => key.includes('-000000000001-'))).toEqual([]);
    expect(await exportRow(user)).toEqual({ chain: 2, last_seq: 34, events: 34, segments: 1 });
  });

  it('keeps a superseded chain while a retained backup started before it was superseded', async () => {
    await backupNow();
    const user = await signup();
    for (let n = 0; n < 34; n++) {
      await append(user, 1, `kept${n}`);
      await runDurableObjectAlarm(actor(user));
    }
    const chains = new Set((await userManifest(user)).segments.map((s) => s.chain));
    expect([...chains]).toEqual([1, 2]);
  });

  it('deletes everything the user exported when the account is erased', async () => {
    const user = await signup();
    await append(user, 2);
    await runDurableObjectAlarm(actor(user));
    expect((await listKeys(userRoot(user.user.id))).length).toBe(3);
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
    for (const user of users) await runDurableObjectAlarm(actor(user));
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
