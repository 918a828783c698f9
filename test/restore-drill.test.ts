import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { UserManifest } from '../core/backup/actor-format';
import { userManifestKey } from '../core/backup/actor-format';
import { cutsOf, loadUser, verifyUser } from '../core/backup/actor-restore';
import { httpSink } from '../core/backup/actor-sink';
import { type LoadedExport, loadExport, type ObjectReader } from '../core/backup/load';
import { restoreStatements } from '../core/backup/restore-sql';
import { backupNow, backupRow, readBytes, snapshot } from './backup-helpers';
import { auditTrail, BASE, call, expectError, freshIp, login, signup, type Tokens } from './helpers';
import { outboxDrained } from './mail';

/** Runs the user actor's alarm once the signup's mail has left, so the forced alarm is the export's. */
async function alarmAfterMail(userId: string): Promise<boolean> {
  await outboxDrained(userId);
  return runDurableObjectAlarm(env.USER.getByName(userId));
}

const read: ObjectReader = (key) => readBytes(key);
const sink = () =>
  httpSink(BASE, env.ADMIN_TOKEN, (input, init) => {
    const request = new Request(input as string, init);
    request.headers.set('cf-connecting-ip', freshIp());
    return exports.default.fetch(request);
  });
const actor = (id: string) => env.USER.getByName(id);

/** Every event of a user's log through GET /v1/events, page by page. */
async function replayAll(token: string): Promise<unknown[]> {
  const events: unknown[] = [];
  let after: number | null = 0;
  while (after !== null) {
    const response = await call(`/v1/events?after=${after}&limit=7`, { token });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { events: unknown[]; next_after: number | null };
    events.push(...page.events);
    after = page.next_after;
  }
  return events;
}

const digest = async (value: unknown) =>
  Array.from(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(value)))),
    (b) => b.toString(16).padStart(2, '0'),
  ).join('');

async function dataTables(loaded: LoadedExport): Promise<string[]> {
  return loaded.tables.map((t) => t.table.name).filter((name) => name !== 'backups');
}

describe('the restore drill: back up, wipe, restore into a fresh environment, compare', () => {
  const users: (Tokens & { email: string; password: string })[] = [];
  /** Signed up and signed in, never appended an event: the backup holds their trail all the same. */
  let quiet: Tokens & { email: string; password: string };
  const everyone = () => [...users, quiet];
  const before = new Map<string, { events: unknown[]; hash: string }>();
  const auditBefore = new Map<string, unknown[]>();
  const tablesBefore = new Map<string, string[]>();
  let loaded: LoadedExport;

  beforeAll(async () => {
    for (let u = 0; u < 3; u++) {
      const user = await signup({ name: `Drill ${u}` });
      users.push(user);
      for (let n = 0; n < 10 + u * 5; n++) {
        const body = {
          id: `drill-${u}-${n}`,
          stream: n % 2 ? 'notes' : 'tasks',
          key: n % 3 ? `item-${n % 4}` : undefined,
          payload: { n, text: `é ${'x'.repeat(n)}` },
        };
        expect((await call('/v1/events', { method: 'POST', token: user.access_token, body })).status).toBe(201);
      }
      await actor(user.user.id).recordAudit({
        type: 'login_failed',
        ip: '203.0.113.9',
        userAgent: `drill/${u} é`,
        details: { reason: 'wrong_password', attempt: u, nested: { ok: false } },
      });
      // Half the events exported in one segment, the rest in a second.
      if (u === 1) await alarmAfterMail(user.user.id);
    }
    // The trail changes after its first export too.
    await actor(users[1]!.user.id).recordAudit({ type: 'logout' });
    await call('/v1/events', {
      method: 'POST',
      token: users[1]!.access_token,
      body: { id: 'late', stream: 'notes', key: 'item-1', payload: 'after the first export' },
    });
    quiet = await signup({ name: 'Quiet' });
    expect((await login(quiet.email, quiet.password)).status).toBe(200);
    for (const user of everyone()) await alarmAfterMail(user.user.id);
    const id = await backupNow();
    const prefix = (await backupRow(id))!.prefix as string;
    const result = await loadExport(prefix, read);
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    loaded = result.value;
    for (const name of await dataTables(loaded)) tablesBefore.set(name, await snapshot(name));
    for (const user of everyone()) {
      const events = await replayAll(user.access_token);
      before.set(user.user.id, { events, hash: await digest(events) });
      auditBefore.set(user.user.id, await auditTrail(user.user.id));
    }

    // A fresh environment: empty D1 tables and empty user actors. Only R2 (the backup) is left.
    for (const name of [...(await dataTables(loaded))].reverse()) await env.DB.prepare(`DELETE FROM "${name}"`).run();
    for (const user of everyone()) {
      await runInDurableObject(actor(user.user.id), (_instance, state) => state.storage.deleteAll());
      await evictDurableObject(actor(user.user.id));
    }
    expect(await snapshot('users')).toEqual([]);
  }, 60_000);

  it('covers every user with the events they had', () => {
    const cuts = cutsOf(loaded);
    expect(cuts.map((c) => c.userId).sort()).toEqual(
      everyone()
        .map((u) => u.user.id)
        .sort(),
    );
    for (const cut of cuts) {
      expect(cut.events).toBe(before.get(cut.userId)!.events.length);
      expect(cut.audit?.entries).toBe(auditBefore.get(cut.userId)!.length);
    }
    expect(loaded.manifest.actors).toEqual({
      table: 'user_exports',
      users: 4,
      events: [...before.values()].reduce((n, b) => n + b.events.length, 0),
    });
  });

  it('restores D1, every user’s audit trail and log; rows, counts and hashes match, and users sign in and replay', async () => {
    const statements = restoreStatements(loaded, ['backups']);
    if (!statements.ok) throw new Error(statements.error.type);
    await env.DB.batch(statements.value.map((sql) => env.DB.prepare(sql)));
    for (const [name, rows] of tablesBefore) expect(await snapshot(name), name).toEqual(rows);

    const verified = [];
    for (const cut of cutsOf(loaded)) {
      const user = await verifyUser(read, cut);
      if (!user.ok) throw new Error(JSON.stringify(user.error));
      verified.push(user.value);
    }
    for (const user of verified) {
      const done = await loadUser(read, sink(), user, false);
      expect(done).toEqual({
        ok: true,
        value: { events: user.cut.events, head: user.cut.lastSeq, audit: user.cut.audit!.entries },
      });
    }
    for (const user of everyone()) expect(await auditTrail(user.user.id)).toEqual(auditBefore.get(user.user.id));
    expect((await auditTrail(quiet.user.id)).map((e) => e.type)).toEqual(['signup', 'login_succeeded']);

    for (const user of users) {
      const signedIn = await login(user.email, user.password);
      expect(signedIn.status).toBe(200);
      const { access_token } = (await signedIn.json()) as { access_token: string };
      const events = await replayAll(access_token);
      expect(events.length).toBe(before.get(user.user.id)!.events.length);
      expect(await digest(events)).toBe(before.get(user.user.id)!.hash);
      const next = await call('/v1/events', {
        method: 'POST',
        token: access_token,
        body: { id: `after-restore-${user.user.id}`, stream: 'notes', key: 'item-1', payload: 1 },
      });
      // seq and the key's version carry on from the restored log.
      const ack = (await next.json()) as { seq: number; version: number };
      expect(ack.seq).toBe(before.get(user.user.id)!.events.length + 1);
      const versions = (before.get(user.user.id)!.events as { key: string | null; version: number | null }[])
        .filter((e) => e.key === 'item-1')
        .map((e) => e.version ?? 0);
      expect(ack.version).toBe(Math.max(...versions) + 1);
    }
  });

  it('refuses to load over a trail and log that hold entries unless told to replace them', async () => {
    const user = users[0]!;
    const cut = cutsOf(loaded).find((c) => c.userId === user.user.id)!;
    const verified = await verifyUser(read, cut);
    if (!verified.ok) throw new Error('not verified');
    const trail = await auditTrail(user.user.id);
    const refused = await loadUser(read, sink(), verified.value, false);
    expect(refused).toMatchObject({ ok: false, error: { type: 'refused', userId: user.user.id } });
    expect(await auditTrail(user.user.id)).toEqual(trail);
    const replaced = await loadUser(read, sink(), verified.value, true);
    expect(replaced).toEqual({ ok: true, value: { events: cut.events, head: cut.lastSeq, audit: cut.audit!.entries } });
    // The sign-in since the restore is gone again: the trail is the backup's.
    expect(await auditTrail(user.user.id)).toEqual(auditBefore.get(user.user.id));
  });

  it('refuses a user whose audit trail does not match its hash or count, before loading anything', async () => {
    const cut = cutsOf(loaded)[1]!;
    const tampered: ObjectReader = async (key) => {
      const bytes = await readBytes(key);
      if (key !== cut.audit!.key || !bytes) return bytes;
      const copy = bytes.slice();
      copy[copy.length - 1]! ^= 0xff;
      return copy;
    };
    expect(await verifyUser(tampered, cut)).toMatchObject({
      ok: false,
      error: { type: 'hash_mismatch', key: cut.audit!.key },
    });
    expect(await verifyUser(async (key) => (key === cut.audit!.key ? null : readBytes(key)), cut)).toMatchObject({
      ok: false,
      error: { type: 'missing_object', key: cut.audit!.key },
    });
    expect(await verifyUser(read, { ...cut, audit: { ...cut.audit!, entries: cut.audit!.entries - 1 } })).toMatchObject(
      { ok: false, error: { type: 'audit_count_mismatch' } },
    );
    expect(await verifyUser(read, { ...cut, audit: { key: `${cut.audit!.key}x`, entries: 1 } })).toMatchObject({
      ok: false,
      error: { type: 'missing_object' },
    });
    // A run made before the trail was backed up restores the log alone.
    const older = await verifyUser(read, { ...cut, audit: null });
    expect(older).toMatchObject({ ok: true, value: { audit: null } });
  });

  it('refuses a user whose segment does not match its hash, before loading anything', async () => {
    const cut = cutsOf(loaded)[0]!;
    const manifest = JSON.parse(
      new TextDecoder().decode((await readBytes(userManifestKey(cut.userId)))!),
    ) as UserManifest;
    const segment = manifest.segments.find((s) => s.chain === cut.chain)!;
    const tampered: ObjectReader = async (key) => {
      const bytes = await readBytes(key);
      if (key !== segment.key || !bytes) return bytes;
      const copy = bytes.slice();
      copy[copy.length - 1]! ^= 0xff;
      return copy;
    };
    expect(await verifyUser(tampered, cut)).toMatchObject({
      ok: false,
      error: { type: 'hash_mismatch', key: segment.key },
    });
    const missing: ObjectReader = async (key) =>
      key === segment.state_key || key === segment.key ? null : readBytes(key);
    expect(await verifyUser(missing, cut)).toMatchObject({ ok: false, error: { type: 'missing_object' } });
    expect(await verifyUser(read, { ...cut, events: cut.events + 1 })).toMatchObject({
      ok: false,
      error: { type: 'event_count_mismatch' },
    });
    expect(await verifyUser(read, { ...cut, lastSeq: cut.lastSeq + 1 })).toMatchObject({
      ok: false,
      error: { type: 'incomplete_chain' },
    });
  });

  it('tells a user whose folder is gone (erased since the run) apart from a damaged one', async () => {
    const cut = cutsOf(loaded)[0]!;
    const erased: ObjectReader = async (key) => (key.startsWith(`actors/users/${cut.userId}/`) ? null : readBytes(key));
    expect(await verifyUser(erased, cut)).toEqual({ ok: false, error: { type: 'no_exports', userId: cut.userId } });
  });
});

describe('the operator’s log load endpoints', () => {
  let user: Tokens;
  const load = (body: unknown, id = user.user.id, token = env.ADMIN_TOKEN) =>
    call(`/v1/admin/users/${id}/log`, { method: 'POST', token, body });
  const event = (seq: number) => ({
    seq,
    id: `load-${seq}`,
    device_id: null,
    stream: 's',
    key: 'k',
    version: seq,
    payload: JSON.stringify({ seq }),
    at: Date.now(),
    expires_at: null,
  });

  beforeAll(async () => {
    user = await signup();
  });

  it('loads batches in seq order, then completes with the head and horizon', async () => {
    expect(await (await load({ events: [event(1), event(2)], first: true })).json()).toEqual({ events: 2 });
    expect(await (await load({ events: [event(5)], first: false })).json()).toEqual({ events: 3 });
    const completed = await call(`/v1/admin/users/${user.user.id}/log/complete`, {
      method: 'POST',
      token: env.ADMIN_TOKEN,
      body: { chain: 3, horizon: 2, last_seq: 6, key_versions: [] },
    });
    expect(await completed.json()).toEqual({ events: 3, head: 6 });
    const page = await call('/v1/events?after=2', { token: user.access_token });
    expect(((await page.json()) as { events: { seq: number }[] }).events.map((e) => e.seq)).toEqual([5]);
    await expectError(await call('/v1/events?after=1', { token: user.access_token }), 409, 'resync_required');
    const next = await call('/v1/events', {
      method: 'POST',
      token: user.access_token,
      body: { id: 'n', stream: 's', key: 'k', payload: 1 },
    });
    expect(await next.json()).toMatchObject({ seq: 7, version: 6 });
    // The restored actor exports anew, in a chain above the backup's (3): its upkeep runs first, then the export.
    await alarmAfterMail(user.user.id);
    await alarmAfterMail(user.user.id);
    const manifest = JSON.parse(
      new TextDecoder().decode((await readBytes(userManifestKey(user.user.id)))!),
    ) as UserManifest;
    expect(manifest.segments.map((s) => [s.chain, s.kind, s.last_seq, s.events])).toEqual([[4, 'base', 7, 4]]);
  });

  it('schedules the refresh of the user’s provider tokens again, from D1', async () => {
    const other = await signup();
    const expiresAt = Date.now() + 3_600_000;
    await env.DB.prepare(
      `INSERT INTO oauth_accounts (id, user_id, provider, provider_user_id, access_token_enc, refresh_token_enc, expires_at, created_at)
       VALUES (?1, ?2, 'acme', ?3, 'sealed', 'sealed', ?4, ?5)`,
    )
      .bind(`conn-${other.user.id}`, other.user.id, `acme-${other.user.id}`, expiresAt, Date.now())
      .run();
    expect(await load({ events: [], first: true }, other.user.id)).toHaveProperty('status', 200);
    const completed = await call(`/v1/admin/users/${other.user.id}/log/complete`, {
      method: 'POST',
      token: env.ADMIN_TOKEN,
      body: { chain: 1, horizon: 0, last_seq: 0, key_versions: [] },
    });
    expect(completed.status).toBe(200);
    const scheduled = await runInDurableObject(actor(other.user.id), (_instance, state) => ({
      refresh: state.storage.sql.exec<{ provider: string }>('SELECT provider FROM oauth_refresh').toArray(),
      job: state.storage.sql
        .exec<{ job: string }>("SELECT job FROM scheduled_jobs WHERE job = 'oauth_refresh'")
        .toArray(),
    }));
    expect(scheduled).toEqual({ refresh: [{ provider: 'acme' }], job: [{ job: 'oauth_refresh' }] });
  });

  it('refuses seqs that do not come after those loaded, and a first batch over a non-empty log (nothing changes)', async () => {
    await expectError(await load({ events: [event(3)], first: false }), 400, 'invalid_request');
    await expectError(await load({ events: [event(1)], first: true }), 409, 'conflict');
    const stats = await call(`/v1/admin/users/${user.user.id}/storage`, { token: env.ADMIN_TOKEN });
    expect(await stats.json()).toMatchObject({ events: 4, head: 7 });
  });

  it('refuses malformed bodies, unknown users and callers without ADMIN_TOKEN', async () => {
    for (const body of [
      {},
      { events: [], first: 'yes' },
      { events: [{ ...event(9), seq: 0 }], first: false },
      { events: [{ ...event(9), payload: { not: 'text' } }], first: false },
      { events: [{ ...event(9), extra: 1 }], first: false },
      { events: [], first: false, extra: true },
    ]) {
      await expectError(await load(body), 400, 'invalid_request');
    }
    await expectError(
      await call(`/v1/admin/users/${user.user.id}/log`, {
        method: 'POST',
        token: env.ADMIN_TOKEN,
        body: '{"events": [',
      }),
      400,
      'invalid_request',
    );
    await expectError(await load({ events: [], first: false }, 'no-such-user'), 404, 'not_found');
    await expectError(await load({ events: [], first: false }, user.user.id, user.access_token), 401, 'unauthorized');
    const complete = (body: unknown) =>
      call(`/v1/admin/users/${user.user.id}/log/complete`, { method: 'POST', token: env.ADMIN_TOKEN, body });
    await expectError(await complete({ chain: 1, horizon: -1, last_seq: 1, key_versions: [] }), 400, 'invalid_request');
    await expectError(await complete({ last_seq: 1 }), 400, 'invalid_request');
  });
});

describe('the operator’s audit trail load endpoint', () => {
  let user: Tokens & { email: string; password: string };
  const load = (body: unknown, id = user.user.id, token = env.ADMIN_TOKEN) =>
    call(`/v1/admin/users/${id}/audit`, { method: 'POST', token, body });
  const entry = (n: number) => ({
    id: `audit-${n}`,
    type: 'login_succeeded',
    ip: '198.51.100.7',
    user_agent: 'restore/1',
    details: JSON.stringify({ n }),
    created_at: 1_764_000_000_000 + n,
  });

  beforeAll(async () => {
    user = await signup();
  });

  it('refuses a first batch over a trail that holds entries (nothing changes), and replaces it when told', async () => {
    const trail = await auditTrail(user.user.id);
    expect(trail.map((e) => e.type)).toEqual(['signup']);
    await expectError(await load({ entries: [entry(1)], first: true }), 409, 'conflict');
    expect(await auditTrail(user.user.id)).toEqual(trail);
    const replaced = await load({ entries: [entry(1), entry(2)], first: true, replace: true });
    expect(await replaced.json()).toEqual({ entries: 2 });
    expect((await auditTrail(user.user.id)).map((e) => e.id)).toEqual(['audit-1', 'audit-2']);
  });

  it('stores later batches by id, so a batch sent twice is stored once, and schedules the export', async () => {
    expect(await (await load({ entries: [entry(3)], first: false })).json()).toEqual({ entries: 3 });
    expect(await (await load({ entries: [entry(3)], first: false })).json()).toEqual({ entries: 3 });
    const [restored] = (await auditTrail(user.user.id)).filter((e) => e.id === 'audit-3');
    expect(restored).toEqual({ ...entry(3), details: { n: 3 } });
    expect(await alarmAfterMail(user.user.id)).toBe(true);
    const manifest = JSON.parse(
      new TextDecoder().decode((await readBytes(userManifestKey(user.user.id)))!),
    ) as UserManifest;
    expect(manifest.audit.at(-1)).toMatchObject({ entries: 3 });
  });

  it('refuses missing and extra fields, wrong types, huge bodies, unknown users and callers without ADMIN_TOKEN', async () => {
    for (const body of [
      {},
      { entries: [] },
      { first: true },
      { entries: [], first: 'yes' },
      { entries: {}, first: false },
      { entries: [{ ...entry(9), created_at: -1 }], first: false },
      { entries: [{ ...entry(9), created_at: '2026-12-02' }], first: false },
      { entries: [{ ...entry(9), details: { not: 'text' } }], first: false },
      { entries: [{ ...entry(9), id: '' }], first: false },
      { entries: [{ ...entry(9), user_agent: 'x'.repeat(513) }], first: false },
      { entries: [{ ...entry(9), extra: 1 }], first: false },
      { entries: [entry(9)].map(({ type: _type, ...rest }) => rest), first: false },
      { entries: [], first: false, extra: true },
      { entries: Array.from({ length: 5_001 }, (_, n) => entry(n)), first: false },
    ]) {
      await expectError(await load(body), 400, 'invalid_request');
    }
    await expectError(
      await load({ entries: [{ ...entry(9), details: 'x'.repeat(9 * 1024 * 1024) }], first: false }),
      413,
      'payload_too_large',
    );
    await expectError(await load({ entries: [], first: false }, 'no-such-user'), 404, 'not_found');
    const other = await signup();
    // A user's own token is no operator token, for their own trail or another user's.
    await expectError(
      await load({ entries: [], first: false }, other.user.id, other.access_token),
      401,
      'unauthorized',
    );
    await expectError(await load({ entries: [], first: false }, user.user.id, other.access_token), 401, 'unauthorized');
    await expectError(await load({ entries: [], first: false }, user.user.id, ''), 401, 'unauthorized');
    expect((await auditTrail(user.user.id)).map((e) => e.id)).toEqual(['audit-1', 'audit-2', 'audit-3']);
  });
});
