import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditDetails, call, expectError, freshIp, login, signup, uniqueEmail } from './helpers';
import { landing, oauthEnv, roundTrip, send, signInWith, start } from './oauth-helpers';
import { FakeProvider, mockProviders } from './oauth-provider';
import { registerTestDevice } from './realtime-helpers';
import { minutesAgo, refreshed } from './sign-in-age';

const links = async (userId: string) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM oauth_accounts WHERE user_id = ?')
    .bind(userId)
    .first<{ n: number }>())!.n;
const usersWithEmail = async (email: string) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM users WHERE lower(email) = lower(?)')
    .bind(email)
    .first<{ n: number }>())!.n;
const auditOf = auditDetails;

describe('an OAuth identity and an account with the same email', () => {
  let fake: FakeProvider;
  let other: FakeProvider;
  let e: Env;
  beforeAll(async () => {
    [fake, other] = await Promise.all([
      FakeProvider.create('https://id.acme.test'),
      FakeProvider.create('https://id.other.test'),
    ]);
    e = oauthEnv({ acme: fake.config(), other: other.config() });
  });
  afterEach(() => vi.restoreAllMocks());

  it('never merges into an account whose email this backend has not verified (pre-registration takeover)', async () => {
    mockProviders(fake);
    const victim = uniqueEmail('victim');
    // The attacker signs up first with the victim's address and a password of his own.
    const attacker = await signup({ email: victim, password: 'attacker owns this passphrase' });
    // The victim signs in with a provider that has verified the address.
    const callback = await roundTrip(e, fake, 'acme', {
      sub: `sub-${crypto.randomUUID()}`,
      email: victim,
      email_verified: true,
    });
    expect(landing(callback).searchParams.get('error')).toBe('conflict');
    expect(landing(callback).searchParams.get('login_code')).toBeNull();
    expect(await links(attacker.user.id)).toBe(0);
    expect(await usersWithEmail(victim)).toBe(1);
    // The attacker's password reaches nothing of the victim's.
    const signedIn = await login(victim, 'attacker owns this passphrase', freshIp());
    const { access_token } = (await signedIn.json()) as { access_token: string };
    const connections = await send(e, '/v1/me/connections', { token: access_token });
    expect(((await connections.json()) as { connections: unknown[] }).connections).toEqual([]);
  });

  it('never merges into an account made from an unverified provider email either', async () => {
    mockProviders(fake, other);
    const victim = uniqueEmail('victim2');
    const squatter = await signInWith(e, other, 'other', {
      sub: `sub-${crypto.randomUUID()}`,
      email: victim,
      email_verified: false,
    });
    const callback = await roundTrip(e, fake, 'acme', {
      sub: `sub-${crypto.randomUUID()}`,
      email: victim,
      email_verified: true,
    });
    expect(landing(callback).searchParams.get('error')).toBe('conflict');
    expect(await links(squatter.user.id)).toBe(1);
  });

  it('does not merge on a provider’s unverified email even into a verified account', async () => {
    mockProviders(fake);
    const owner = await signup();
    await env.DB.prepare('UPDATE users SET email_verified = 1, email_verified_at = ? WHERE id = ?')
      .bind(Date.now(), owner.user.id)
      .run();
    const callback = await roundTrip(e, fake, 'acme', {
      sub: `sub-${crypto.randomUUID()}`,
      email: owner.email,
      email_verified: false,
    });
    expect(landing(callback).searchParams.get('error')).toBe('conflict');
    expect(await links(owner.user.id)).toBe(0);
  });

  it('merges into a verified account, revoking every way in set up before the verification', async () => {
    mockProviders(fake);
    const email = uniqueEmail('owner');
    // Before the verification: a session, an API key, a device and the password.
    const early = await minutesAgo(30, async () => {
      const user = await signup({ email });
      const created = await call('/v1/me/api-keys', {
        method: 'POST',
        token: user.access_token,
        body: { name: 'early', scopes: ['read'] },
      });
      const device = await registerTestDevice(user.access_token);
      return { user, key: ((await created.json()) as { key: string }).key, device };
    });
    const verifiedAt = Date.now() - 20 * 60_000;
    await env.DB.prepare('UPDATE users SET email_verified = 1, email_verified_at = ? WHERE id = ?')
      .bind(verifiedAt, early.user.user.id)
      .run();
    // After it: a session of the verified owner.
    const late = await minutesAgo(10, async () => (await login(email, early.user.password, freshIp())).json());
    const merged = await signInWith(e, fake, 'acme', {
      sub: `sub-${crypto.randomUUID()}`,
      email,
      email_verified: true,
    });
    expect(merged.user.id).toBe(early.user.user.id);

    const refresh = await call('/v1/auth/refresh', {
      method: 'POST',
      body: { refresh_token: early.user.refresh_token },
    });
    await expectError(refresh, 401, 'unauthorized');
    await expectError(await call('/v1/me', { token: early.key }), 401, 'unauthorized');
    const device = await env.DB.prepare('SELECT revoked_at FROM devices WHERE id = ?')
      .bind(early.device.id)
      .first<{ revoked_at: number | null }>();
    expect(device?.revoked_at).not.toBeNull();
    await expectError(await login(email, early.user.password, freshIp()), 401, 'unauthorized');
    // The session opened after the verification stays.
    expect((await refreshed(late as { refresh_token: string })).user.id).toBe(early.user.user.id);
    expect(await auditOf(early.user.user.id, 'oauth_merged')).toEqual([
      { provider: 'acme', sessions_revoked: 1, api_keys_revoked: 1, devices_revoked: 1, password_removed: true },
    ]);
  });
});

describe('linking a provider', () => {
  let fake: FakeProvider;
  let e: Env;
  beforeAll(async () => {
    fake = await FakeProvider.create('https://id.link.test');
    e = oauthEnv({ acme: fake.config() });
  });
  afterEach(() => vi.restoreAllMocks());

  it('refuses a refreshed token of an old sign-in (a refresh is not a sign-in)', async () => {
    mockProviders(fake);
    const user = await minutesAgo(11, () => signup());
    const fresh = await refreshed(user);
    const body = await expectError(
      await start(e, 'acme', { intent: 'link', token: fresh.access_token }),
      401,
      'reauth_required',
    );
    expect((body as unknown as { proofs: string[] }).proofs).toEqual(['password']);
  });

  it('starts after the password is confirmed with POST /v1/auth/reauth', async () => {
    mockProviders(fake);
    const user = await minutesAgo(11, () => signup());
    const fresh = await refreshed(user);
    const proved = await call('/v1/auth/reauth', {
      method: 'POST',
      token: fresh.access_token,
      body: { password: user.password },
    });
    expect(proved.status).toBe(204);
    expect((await start(e, 'acme', { intent: 'link', token: fresh.access_token })).status).toBe(302);
  });

  it('asks a password account for its password even after a recent OAuth sign-in', async () => {
    mockProviders(fake);
    const owner = await signup();
    const sub = `sub-${crypto.randomUUID()}`;
    const linked = await roundTrip(
      e,
      fake,
      'acme',
      { sub, email: owner.email, email_verified: true },
      {
        intent: 'link',
        token: owner.access_token,
      },
    );
    expect(landing(linked).searchParams.get('linked')).toBe('acme');
    const viaProvider = await signInWith(e, fake, 'acme', { sub, email: owner.email, email_verified: true });
    await expectError(
      await start(e, 'acme', { intent: 'link', token: viaProvider.access_token }),
      401,
      'reauth_required',
    );
  });
});
