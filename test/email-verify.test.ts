import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { call, expectError, signup } from './helpers';
import { catchMail, type Relay } from './mail';

const verify = (token: unknown) => call('/v1/auth/email/verify', { method: 'POST', body: { token } });
const verifiedAt = (userId: string) =>
  env.DB.prepare('SELECT email_verified, email_verified_at FROM users WHERE id = ?')
    .bind(userId)
    .first<{ email_verified: number; email_verified_at: number | null }>();

describe('email verification', () => {
  let relay: Relay;
  beforeEach(() => {
    relay = catchMail();
  });
  afterEach(() => vi.restoreAllMocks());

  it('sends a signed link at signup whose token verifies the address once', async () => {
    const user = await signup();
    expect(user.user.email_verified).toBe(false);
    const mail = await relay.next(user.email, 'verify_email');
    // The relay checks the Standard Webhooks signature with the package's own verifier.
    const verified = new Webhook(env.EMAIL_WEBHOOK_SECRET).verify(mail.body, mail.headers) as { to: string };
    expect(verified.to).toBe(user.email);
    expect(mail.headers['webhook-id']).toMatch(/^msg_/);
    const link = new URL(/https?:\/\/\S+/.exec(mail.json.text)![0]);
    expect(`${link.origin}${link.pathname}`).toBe(`${env.APP_URL}/verify-email`);
    expect(mail.json.html).toContain(link.search.replace(/&/g, '&amp;'));

    const token = link.searchParams.get('token')!;
    const response = await verify(token);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: user.user.id, email_verified: true });
    expect(await verifiedAt(user.user.id)).toEqual({ email_verified: 1, email_verified_at: expect.any(Number) });
    const me = await call('/v1/me', { token: user.access_token });
    expect(await me.json()).toMatchObject({ email_verified: true });

    // Single use.
    await expectError(await verify(token), 400, 'invalid_request');
  });

  it('refuses forged, malformed and other users’ tokens, and changes nothing', async () => {
    const [alice, bob] = [await signup(), await signup()];
    const aliceToken = await relay.token(alice.email, 'verify_email');
    const secret = aliceToken.split('.')[1]!;
    for (const token of [
      `${bob.user.id}.${secret}`, // Alice's secret presented as Bob's
      `${alice.user.id}.${'A'.repeat(43)}`, // a guess
      `nosuchuser.${secret}`,
      'not a token',
    ]) {
      const body = await expectError(await verify(token), 400, 'invalid_request');
      expect(body.error.details).toEqual([{ path: 'token', message: 'is invalid or expired' }]);
    }
    expect((await verifiedAt(alice.user.id))?.email_verified_at).toBeNull();
    expect((await verifiedAt(bob.user.id))?.email_verified_at).toBeNull();
    // Alice's own link still works after all that.
    expect((await verify(aliceToken)).status).toBe(200);
  });

  it('answers 400 to bad bodies', async () => {
    await expectError(await call('/v1/auth/email/verify', { method: 'POST', body: {} }), 400, 'invalid_request');
    await expectError(await verify(42), 400, 'invalid_request');
    await expectError(
      await call('/v1/auth/email/verify', { method: 'POST', body: { token: 'x', extra: 1 } }),
      400,
      'invalid_request',
    );
    await expectError(
      await call('/v1/auth/email/verify', { method: 'POST', body: '{"token":' }),
      400,
      'invalid_request',
    );
  });

  it('refuses an expired link', async () => {
    const user = await signup();
    const token = await relay.token(user.email, 'verify_email');
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + 24 * 60 * 60_000 + 1);
    await expectError(await verify(token), 400, 'invalid_request');
    vi.mocked(Date.now).mockRestore();
    expect((await verifiedAt(user.user.id))?.email_verified_at).toBeNull();
  });

  it('sends a new link on request, needs a session, and stops at the account’s email limit', async () => {
    const user = await signup();
    await relay.next(user.email, 'verify_email');
    const resend = () => call('/v1/me/email/verify', { method: 'POST', token: user.access_token });
    await expectError(await call('/v1/me/email/verify', { method: 'POST' }), 401, 'unauthorized');
    // The signup's link counts: 4 more within the hour, then 429 from any address.
    for (let i = 0; i < 4; i++) expect((await resend()).status).toBe(202);
    const limited = await resend();
    await expectError(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    const token = await relay.token(user.email, 'verify_email');
    expect((await verify(token)).status).toBe(200);
    await expectError(await resend(), 409, 'conflict');
  });

  it('keeps a link for an address the account no longer has void', async () => {
    const user = await signup();
    const token = await relay.token(user.email, 'verify_email');
    await env.DB.prepare('UPDATE users SET email = ? WHERE id = ?').bind(`moved-${user.email}`, user.user.id).run();
    await expectError(await verify(token), 400, 'invalid_request');
    expect((await verifiedAt(user.user.id))?.email_verified_at).toBeNull();
  });
});
