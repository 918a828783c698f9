import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, expectError, signup } from './helpers';
import { outboxDrained } from './mail';

type User = Awaited<ReturnType<typeof signup>>;
interface KeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  use_count: number;
  last_used_at: string | null;
  expires_at: string | null;
}

async function createKey(user: User, body: Record<string, unknown>) {
  const response = await call('/v1/me/api-keys', { method: 'POST', token: user.access_token, body });
  expect(response.status).toBe(201);
  return (await response.json()) as KeyView & { key: string };
}

const listKeys = async (user: User) =>
  ((await (await call('/v1/me/api-keys', { token: user.access_token })).json()) as { api_keys: KeyView[] }).api_keys;

describe('API keys', () => {
  let user: User;
  beforeAll(async () => {
    user = await signup({ name: 'Key Owner' });
  });
  afterEach(() => vi.restoreAllMocks());

  it('creates a key shown once, listed afterwards by prefix without its secret', async () => {
    const created = await createKey(user, { name: 'ci', scopes: ['read'] });
    expect(created.key).toMatch(/^dbk_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const listed = (await listKeys(user)).find((k) => k.id === created.id)!;
    expect(listed).toMatchObject({
      name: 'ci',
      prefix: created.prefix,
      scopes: ['read'],
      use_count: 0,
      last_used_at: null,
    });
    const text = JSON.stringify(await listKeys(user));
    expect(text).not.toContain(created.key);
    expect(text).not.toMatch(/hash/i);
    const row = await env.DB.prepare('SELECT key_hash FROM api_keys WHERE id = ?')
      .bind(created.id)
      .first<{ key_hash: string }>();
    expect(row?.key_hash).not.toContain(created.key.slice(12));
  });

  it('refuses admin scopes, unknown scopes, no scopes and other bad bodies', async () => {
    for (const body of [
      { name: 'x', scopes: ['admin:*'] },
      { name: 'x', scopes: ['delete'] },
      { name: 'x', scopes: [] },
      { name: '', scopes: ['read'] },
      { scopes: ['read'] },
      { name: 'x', scopes: 'read' },
      { name: 'x', scopes: ['read'], expires_in_days: 0 },
      { name: 'x', scopes: ['read'], expires_in_days: 1.5 },
      { name: 'x', scopes: ['read'], owner: 'someone' },
    ]) {
      await expectError(
        await call('/v1/me/api-keys', { method: 'POST', token: user.access_token, body }),
        400,
        'invalid_request',
      );
    }
  });

  it('authenticates as a bearer credential within its scopes', async () => {
    const reader = await createKey(user, { name: 'reader', scopes: ['read'] });
    const writer = await createKey(user, { name: 'writer', scopes: ['read', 'write'] });
    expect(await (await call('/v1/me', { token: reader.key })).json()).toMatchObject({ id: user.user.id });
    await expectError(
      await call('/v1/me', { method: 'PATCH', token: reader.key, body: { name: 'x' } }),
      403,
      'forbidden',
    );
    expect(
      (await call('/v1/me', { method: 'PATCH', token: writer.key, body: { name: 'Renamed by key' } })).status,
    ).toBe(200);
  });

  it('never opens account routes to a key, whatever its scopes', async () => {
    const writer = await createKey(user, { name: 'writer-2', scopes: ['read', 'write'] });
    await expectError(await call('/v1/me/api-keys', { token: writer.key }), 403, 'forbidden');
    await expectError(
      await call('/v1/me/api-keys', { method: 'POST', token: writer.key, body: { name: 'y', scopes: ['read'] } }),
      403,
      'forbidden',
    );
    await expectError(
      await call('/v1/me/password', {
        method: 'POST',
        token: writer.key,
        body: { current_password: 'a', new_password: 'bbbbbbbbbbbb' },
      }),
      403,
      'forbidden',
    );
    await expectError(await call('/v1/me/mfa/totp', { method: 'POST', token: writer.key }), 403, 'forbidden');
    await expectError(await call('/v1/me/export', { token: writer.key }), 403, 'forbidden');
  });

  it('counts uses in the actor and writes them to D1 later, off the request path', async () => {
    const created = await createKey(user, { name: 'counted', scopes: ['read'] });
    for (let i = 0; i < 3; i++) expect((await call('/v1/me', { token: created.key })).status).toBe(200);
    const before = await env.DB.prepare('SELECT use_count FROM api_keys WHERE id = ?')
      .bind(created.id)
      .first<{ use_count: number }>();
    expect(before?.use_count).toBe(0);
    const listed = (await listKeys(user)).find((k) => k.id === created.id)!;
    expect(listed.use_count).toBe(3);
    expect(listed.last_used_at).not.toBeNull();
    // The signup's verification mail leaves first, so the forced alarm is the flush's.
    await outboxDrained(user.user.id);
    expect(await runDurableObjectAlarm(env.USER.getByName(user.user.id))).toBe(true);
    const after = await env.DB.prepare('SELECT use_count, last_used_at FROM api_keys WHERE id = ?')
      .bind(created.id)
      .first<{ use_count: number; last_used_at: number }>();
    expect(after?.use_count).toBe(3);
    expect(after?.last_used_at).toBeGreaterThan(0);
    expect((await listKeys(user)).find((k) => k.id === created.id)?.use_count).toBe(3);
  });

  it('revokes at once', async () => {
    const created = await createKey(user, { name: 'doomed', scopes: ['read'] });
    expect((await call('/v1/me', { token: created.key })).status).toBe(200);
    expect((await call(`/v1/me/api-keys/${created.id}`, { method: 'DELETE', token: user.access_token })).status).toBe(
      204,
    );
    await expectError(await call('/v1/me', { token: created.key }), 401, 'unauthorized');
    expect((await listKeys(user)).some((k) => k.id === created.id)).toBe(false);
    await expectError(
      await call(`/v1/me/api-keys/${created.id}`, { method: 'DELETE', token: user.access_token }),
      404,
      'not_found',
    );
  });

  it('rotates: the new key works and the old one keeps working through the grace period only', async () => {
    const created = await createKey(user, { name: 'rotating', scopes: ['read'] });
    const response = await call(`/v1/me/api-keys/${created.id}/rotate`, { method: 'POST', token: user.access_token });
    expect(response.status).toBe(200);
    const rotated = (await response.json()) as { id: string; key: string; previous_valid_until: string };
    expect(rotated.id).toBe(created.id);
    expect(rotated.key).not.toBe(created.key);
    const grace = Date.parse(rotated.previous_valid_until) - Date.now();
    expect(grace).toBeGreaterThan(23.9 * 3600 * 1000);
    expect(grace).toBeLessThanOrEqual(24 * 3600 * 1000);
    expect((await call('/v1/me', { token: rotated.key })).status).toBe(200);
    expect((await call('/v1/me', { token: created.key })).status).toBe(200);
    await env.DB.prepare('UPDATE api_keys SET previous_expires_at = ? WHERE id = ?')
      .bind(Date.now() - 1, created.id)
      .run();
    await expectError(await call('/v1/me', { token: created.key }), 401, 'unauthorized');
    expect((await call('/v1/me', { token: rotated.key })).status).toBe(200);
  });

  it('rotates with no grace when asked, and refuses a bad grace', async () => {
    const created = await createKey(user, { name: 'no-grace', scopes: ['read'] });
    expect(
      (await call(`/v1/me/api-keys/${created.id}/rotate?grace_hours=0`, { method: 'POST', token: user.access_token }))
        .status,
    ).toBe(200);
    await expectError(await call('/v1/me', { token: created.key }), 401, 'unauthorized');
    for (const q of ['grace_hours=169', 'grace_hours=-1', 'grace_hours=x', 'other=1']) {
      await expectError(
        await call(`/v1/me/api-keys/${created.id}/rotate?${q}`, { method: 'POST', token: user.access_token }),
        400,
        'invalid_request',
      );
    }
  });

  it('stops working after its expiry', async () => {
    const created = await createKey(user, { name: 'short', scopes: ['read'], expires_in_days: 1 });
    expect(Date.parse(created.expires_at!) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    expect((await call('/v1/me', { token: created.key })).status).toBe(200);
    await env.DB.prepare('UPDATE api_keys SET expires_at = ? WHERE id = ?')
      .bind(Date.now() - 1, created.id)
      .run();
    await expectError(await call('/v1/me', { token: created.key }), 401, 'unauthorized');
  });

  it('keeps keys to their owner: another user cannot list, revoke or rotate them', async () => {
    const created = await createKey(user, { name: 'mine', scopes: ['read'] });
    const other = await signup();
    expect(await listKeys(other)).toEqual([]);
    await expectError(
      await call(`/v1/me/api-keys/${created.id}`, { method: 'DELETE', token: other.access_token }),
      404,
      'not_found',
    );
    await expectError(
      await call(`/v1/me/api-keys/${created.id}/rotate`, { method: 'POST', token: other.access_token }),
      404,
      'not_found',
    );
    expect((await call('/v1/me', { token: created.key })).status).toBe(200);
  });

  it('refuses a made-up key', async () => {
    await expectError(await call('/v1/me', { token: `dbk_${'A'.repeat(43)}` }), 401, 'unauthorized');
  });

  it('keeps keys out of every log line', async () => {
    const lines: string[] = [];
    for (const m of ['log', 'warn', 'error'] as const)
      vi.spyOn(console, m).mockImplementation((l: string) => void lines.push(String(l)));
    const created = await createKey(user, { name: 'logged', scopes: ['read'] });
    await call('/v1/me', { token: created.key });
    const rotated = (await (
      await call(`/v1/me/api-keys/${created.id}/rotate`, { method: 'POST', token: user.access_token })
    ).json()) as {
      key: string;
    };
    const output = lines.join('\n');
    expect(lines.length).toBeGreaterThan(2);
    expect(output).not.toContain(created.key);
    expect(output).not.toContain(rotated.key);
  });
});
