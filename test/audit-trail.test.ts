/** The audit trail and `last_seen_at` live in the user's actor, off D1's single writer. */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { auditTrail, auditTypes, call, login, signup } from './helpers';
import { connect, eventually, registerTestDevice } from './realtime-helpers';

const d1AuditRows = async (userId: string) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM audit_log WHERE user_id = ?').bind(userId).first<{ n: number }>())!
    .n;

/** A user whose D1 rows predate the move: a users row and audit rows, and an actor never used. */
async function legacyUser(): Promise<string> {
  const id = `legacy-${crypto.randomUUID()}`;
  const now = Date.now();
  await env.DB.prepare(
    'INSERT INTO users (id, email, email_verified, mfa_enabled, created_at, updated_at) VALUES (?, ?, 0, 0, ?, ?)',
  )
    .bind(id, `${id}@example.com`, now - 10_000, now - 10_000)
    .run();
  const insert = env.DB.prepare(
    'INSERT INTO audit_log (id, user_id, type, ip, user_agent, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  await env.DB.batch([
    insert.bind(`${id}-a`, id, 'signup', '192.0.2.1', 'ua', null, now - 9_000),
    insert.bind(`${id}-b`, id, 'login_succeeded', '192.0.2.1', 'ua', '{"method":"oauth"}', now - 8_000),
  ]);
  return id;
}

describe('the audit trail in the user actor', () => {
  it('records sign-ins in the actor and nothing in D1', async () => {
    const user = await signup();
    expect((await login(user.email, user.password)).status).toBe(200);
    expect(await auditTypes(user.user.id)).toEqual(['signup', 'login_succeeded']);
    expect(await d1AuditRows(user.user.id)).toBe(0);
  });

  it('takes over rows D1 held before the move, once, even when first uses race', async () => {
    const id = await legacyUser();
    const stub = env.USER.getByName(id);
    await Promise.all([stub.listAudit(10, null), stub.listAudit(10, null), stub.recordAudit({ type: 'logout' })]);
    const trail = await auditTrail(id);
    expect(trail.map((e) => e.type)).toEqual(['signup', 'login_succeeded', 'logout']);
    expect(trail[1]).toMatchObject({ id: `${id}-b`, ip: '192.0.2.1', user_agent: 'ua', details: { method: 'oauth' } });
    expect(await d1AuditRows(id)).toBe(0);
  });

  it('keeps AUDIT_RETENTION_DAYS (400 by default): older entries go when the next one is written', async () => {
    const user = await signup();
    await runInDurableObject(env.USER.getByName(user.user.id), (_instance, ctx) => {
      ctx.storage.sql.exec(
        "UPDATE audit_log SET created_at = ? WHERE type = 'signup'",
        Date.now() - 400 * 86_400_000 - 1,
      );
    });
    expect(await auditTypes(user.user.id)).toEqual(['signup']);
    expect((await login(user.email, user.password)).status).toBe(200);
    expect(await auditTypes(user.user.id)).toEqual(['login_succeeded']);
  });

  it('keeps each device’s last_seen_at in the actor: connects and closes write nothing to D1', async () => {
    const user = await signup();
    const device = await registerTestDevice(user.access_token);
    const before = Date.now();
    const { frames } = await connect(device);
    const listed = async () => {
      const response = await call('/v1/devices', { token: user.access_token });
      return ((await response.json()) as { devices: { id: string; online: boolean; last_seen_at: string | null }[] })
        .devices[0]!;
    };
    await eventually(async () => (await listed()).online);
    const seenOnConnect = Date.parse((await listed()).last_seen_at!);
    expect(seenOnConnect).toBeGreaterThanOrEqual(before - 1000);
    frames.ws.close(1000, 'bye');
    await eventually(async () => !(await listed()).online);
    expect(Date.parse((await listed()).last_seen_at!)).toBeGreaterThanOrEqual(seenOnConnect);
    const d1 = await env.DB.prepare('SELECT last_seen_at FROM devices WHERE id = ?').bind(device.id).first();
    expect(d1).toEqual({ last_seen_at: null });
    const exported = await call('/v1/me/export', { token: user.access_token });
    const data = (await exported.json()) as {
      devices: { last_seen_at: string | null }[];
      audit_log: { type: string }[];
    };
    expect(data.devices[0]!.last_seen_at).toBe((await listed()).last_seen_at);
    expect(data.audit_log.map((e) => e.type)).toContain('device_registered');
  });
});
