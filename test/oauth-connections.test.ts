import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditDetails, expectError, signup, type Tokens, uniqueEmail } from './helpers';
import { landing, oauthEnv, roundTrip, send, signInWith } from './oauth-helpers';
import { FakeProvider, mockProviders } from './oauth-provider';

interface Connection {
  provider: string;
  provider_user_id: string;
  email: string | null;
  status: string;
  expires_at: string | null;
  last_refreshed_at: string | null;
}

describe('connected accounts', () => {
  let acme: FakeProvider;
  let other: FakeProvider;
  let e: Env;
  beforeAll(async () => {
    [acme, other] = await Promise.all([
      FakeProvider.create('https://id.c1.test'),
      FakeProvider.create('https://id.c2.test'),
    ]);
    e = oauthEnv({ acme: acme.config(), other: other.config() });
  });
  afterEach(() => vi.restoreAllMocks());

  const list = async (token: string) =>
    ((await (await send(e, '/v1/me/connections', { token })).json()) as { connections: Connection[] }).connections;
  const unlink = (token: string, provider: string) =>
    send(e, `/v1/me/connections/${provider}`, { method: 'DELETE', token });
  const oauthUser = (label: string) => ({
    sub: `sub-${crypto.randomUUID()}`,
    email: uniqueEmail(label),
    email_verified: true,
  });

  it('lists connections with their state and never a token', async () => {
    mockProviders(acme);
    const identity = oauthUser('list');
    const tokens = await signInWith(e, acme, 'acme', identity);
    const [connection] = await list(tokens.access_token);
    expect(connection).toMatchObject({
      provider: 'acme',
      provider_user_id: identity.sub,
      email: identity.email,
      status: 'ok',
    });
    expect(Date.parse(connection!.expires_at!) - Date.now()).toBeGreaterThan(3500_000);
    expect(connection!.last_refreshed_at).not.toBeNull();
    expect(Object.keys(connection!).sort()).toEqual([
      'email',
      'expires_at',
      'last_refreshed_at',
      'provider',
      'provider_user_id',
      'status',
    ]);
    const text = JSON.stringify(await list(tokens.access_token));
    expect(text).not.toMatch(/access-|refresh-|v1\.|_enc/);
  });

  it('keeps provider tokens sealed at rest', async () => {
    mockProviders(acme);
    const tokens = await signInWith(e, acme, 'acme', oauthUser('sealed'));
    const row = await env.DB.prepare('SELECT access_token_enc, refresh_token_enc FROM oauth_accounts WHERE user_id = ?')
      .bind(tokens.user.id)
      .first<{ access_token_enc: string; refresh_token_enc: string }>();
    expect(row?.access_token_enc).toMatch(/^v2\./);
    expect(row?.refresh_token_enc).toMatch(/^v2\./);
    const issued = acme.issued.at(-1)!;
    expect(JSON.stringify(row)).not.toContain(issued);
  });

  it('refuses to unlink the only way to sign in, then allows it once there is another', async () => {
    mockProviders(acme, other);
    const tokens = await signInWith(e, acme, 'acme', oauthUser('only'));
    await expectError(await unlink(tokens.access_token, 'acme'), 409, 'conflict');
    const linked = await roundTrip(e, other, 'other', oauthUser('second'), {
      intent: 'link',
      token: tokens.access_token,
    });
    expect(landing(linked).searchParams.get('error')).toBeNull();
    expect((await unlink(tokens.access_token, 'acme')).status).toBe(204);
    expect((await list(tokens.access_token)).map((c) => c.provider)).toEqual(['other']);
    await expectError(await unlink(tokens.access_token, 'other'), 409, 'conflict');
    expect(await auditDetails(tokens.user.id, 'oauth_unlinked')).toEqual([{ provider: 'acme' }]);
  });

  it('unlinks from an account that has a password', async () => {
    mockProviders(acme);
    const owner = await signup();
    await roundTrip(e, acme, 'acme', oauthUser('pw'), { intent: 'link', token: owner.access_token });
    expect((await list(owner.access_token)).length).toBe(1);
    expect((await unlink(owner.access_token, 'acme')).status).toBe(204);
    expect(await list(owner.access_token)).toEqual([]);
    await expectError(await unlink(owner.access_token, 'acme'), 404, 'not_found');
    await expectError(await unlink(owner.access_token, 'Not.A.Provider'), 400, 'invalid_request');
  });

  it('keeps each user’s connections to themselves', async () => {
    mockProviders(acme);
    const alice: Tokens = await signInWith(e, acme, 'acme', oauthUser('alice'));
    const bob = await signup();
    expect(await list(bob.access_token)).toEqual([]);
    await expectError(await unlink(bob.access_token, 'acme'), 404, 'not_found');
    expect((await list(alice.access_token)).length).toBe(1);
    await expectError(await send(e, '/v1/me/connections'), 401, 'unauthorized');
  });

  it('keeps client secrets, provider tokens, codes and state out of every log line', async () => {
    const lines: string[] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    }
    mockProviders(acme);
    const callback = await roundTrip(e, acme, 'acme', oauthUser('logs'), { mode: 'cookie' });
    const to = landing(callback);
    const code = to.searchParams.get('login_code')!;
    const tokens = (await (
      await send(e, '/v1/oauth/exchange', { method: 'POST', body: { login_code: code } })
    ).json()) as Tokens;
    await send(e, '/v1/me/connections', { token: tokens.access_token });
    const output = lines.join('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const secret of [
      acme.clientSecret,
      code,
      code.split('.')[1]!,
      tokens.access_token,
      tokens.refresh_token,
      ...acme.issued,
    ]) {
      expect(output).not.toContain(secret);
    }
    expect(output).not.toMatch(/state=|code=|access-[0-9a-f]{8}/);
  });
});
