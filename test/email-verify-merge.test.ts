import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, signup } from './helpers';
import { catchMail } from './mail';
import { landing, oauthEnv, roundTrip, signInWith } from './oauth-helpers';
import { FakeProvider, mockProviders } from './oauth-provider';

describe('the emailed link and OAuth merges (DESIGN.md §6)', () => {
  let fake: FakeProvider;
  let e: Env;
  beforeAll(async () => {
    fake = await FakeProvider.create('https://id.verify.test');
    e = oauthEnv({ acme: fake.config() });
  });
  afterEach(() => vi.restoreAllMocks());

  it('lets a provider identity with the same verified email in only after the link verified the account', async () => {
    mockProviders(fake);
    const relay = catchMail();
    const owner = await signup();
    const identity = { sub: `sub-${crypto.randomUUID()}`, email: owner.email, email_verified: true };
    const before = await roundTrip(e, fake, 'acme', identity);
    expect(landing(before).searchParams.get('error')).toBe('conflict');

    const token = await relay.token(owner.email, 'verify_email');
    expect((await call('/v1/auth/email/verify', { method: 'POST', body: { token } })).status).toBe(200);
    const merged = await signInWith(e, fake, 'acme', identity);
    expect(merged.user.id).toBe(owner.user.id);
    const linked = await env.DB.prepare('SELECT count(*) AS n FROM oauth_accounts WHERE user_id = ?')
      .bind(owner.user.id)
      .first<{ n: number }>();
    expect(linked?.n).toBe(1);
  });
});
