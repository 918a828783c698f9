import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { call, expectError, freshIp, login, PASSWORD, signup, uniqueEmail } from './helpers';
import { catchMail, type Relay } from './mail';
import { enrolTotp } from './mfa-helpers';
import { staleSignIn } from './sign-in-age';

/** Asks for an email change with the password as proof (the route wants one from a password account). */
const change = (token: string, new_email: unknown, extra: Record<string, unknown> = {}) =>
  call('/v1/me/email', { method: 'POST', token, body: { new_email, reauth: { password: PASSWORD }, ...extra } });
const confirm = (token: unknown) => call('/v1/auth/email/change', { method: 'POST', body: { token } });
const undo = (token: unknown) => call('/v1/auth/email/change/undo', { method: 'POST', body: { token } });
const emailOf = (userId: string) =>
  env.DB.prepare('SELECT email, email_verified_at FROM users WHERE id = ?')
    .bind(userId)
    .first<{ email: string; email_verified_at: number | null }>();

describe('email change', () => {
  let relay: Relay;
  beforeEach(() => {
    relay = catchMail();
  });
  afterEach(() => vi.restoreAllMocks());

  it('applies on confirmation from the new address, which becomes verified', async () => {
    const user = await signup();
    const next = uniqueEmail('new');
    expect((await change(user.access_token, next)).status).toBe(202);
    const undoMail = await relay.next(user.email, 'email_change_undo');
    expect(undoMail.json.text).toContain(`${env.APP_URL}/undo-email-change?token=`);
    // Nothing changes before the new address confirms.
    expect((await emailOf(user.user.id))?.email).toBe(user.email);
    const token = await relay.token(next, 'email_change');
    const response = await confirm(token);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ email: next, email_verified: true });
    expect(await emailOf(user.user.id)).toEqual({ email: next, email_verified_at: expect.any(Number) });
    expect((await login(next, user.password, freshIp())).status).toBe(200);
    await expectError(await confirm(token), 400, 'invalid_request');
  });

  it('lets the old address undo it: the address comes back and every session is revoked', async () => {
    const user = await signup();
    const next = uniqueEmail('attacker');
    await change(user.access_token, next);
    const undoToken = await relay.token(user.email, 'email_change_undo');
    expect((await confirm(await relay.token(next, 'email_change'))).status).toBe(200);
    const response = await undo(undoToken);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sessions_revoked: 1 });
    expect((await emailOf(user.user.id))?.email).toBe(user.email);
    await expectError(await call('/v1/me', { token: user.access_token }), 401, 'unauthorized');
    await expectError(await undo(undoToken), 400, 'invalid_request');
  });

  it('wants the password even from a session signed in a minute ago (a stolen fresh token is not enough)', async () => {
    const user = await signup();
    const response = await change(user.access_token, uniqueEmail('thief'), { reauth: undefined });
    const body = await expectError(response, 401, 'reauth_required');
    expect((body as unknown as { proofs: string[] }).proofs).toEqual(['password']);
    await expectError(
      await change(user.access_token, uniqueEmail('thief'), { reauth: { password: 'wrong password here' } }),
      403,
      'forbidden',
    );
    expect((await emailOf(user.user.id))?.email).toBe(user.email);
  });

  it('voids the undo links of later changes when the owner undoes: whoever made them cannot undo the undo', async () => {
    const owner = await signup();
    const [a, a2] = [uniqueEmail('attacker-a'), uniqueEmail('attacker-a2')];
    await change(owner.access_token, a);
    const ownersUndo = await relay.token(owner.email, 'email_change_undo');
    expect((await confirm(await relay.token(a, 'email_change'))).status).toBe(200);
    // The change A → A2 mails an undo link to A, the attacker's own inbox.
    await change(owner.access_token, a2);
    const attackersUndo = await relay.token(a, 'email_change_undo');
    expect((await undo(ownersUndo)).status).toBe(200);
    expect((await emailOf(owner.user.id))?.email).toBe(owner.email);
    await expectError(await undo(attackersUndo), 400, 'invalid_request');
    expect((await emailOf(owner.user.id))?.email).toBe(owner.email);
  });

  it('takes away the ways in added after the undone change was asked for: later provider links and MFA', async () => {
    const owner = await signup();
    const link = (provider: string, createdAt: number) =>
      env.DB.prepare(
        'INSERT INTO oauth_accounts (id, user_id, provider, provider_user_id, created_at) VALUES (?, ?, ?, ?, ?)',
      )
        .bind(crypto.randomUUID(), owner.user.id, provider, `sub-${crypto.randomUUID()}`, createdAt)
        .run();
    await link('owners', Date.now() - 60_000);
    const taken = uniqueEmail('taker');
    await change(owner.access_token, taken);
    const ownersUndo = await relay.token(owner.email, 'email_change_undo');
    expect((await confirm(await relay.token(taken, 'email_change'))).status).toBe(200);
    // What the taker adds with the session they hold: a provider of their own, and MFA.
    await link('takers', Date.now() + 1);
    await enrolTotp(owner);
    expect((await undo(ownersUndo)).status).toBe(200);
    const providers = await env.DB.prepare('SELECT provider FROM oauth_accounts WHERE user_id = ?')
      .bind(owner.user.id)
      .all<{ provider: string }>();
    expect(providers.results.map((r) => r.provider)).toEqual(['owners']);
    const mfa = await env.DB.prepare('SELECT mfa_enabled FROM users WHERE id = ?').bind(owner.user.id).first();
    expect(mfa).toEqual({ mfa_enabled: 0 });
    const signedIn = (await (await login(owner.email, PASSWORD, freshIp())).json()) as Record<string, unknown>;
    expect(signedIn.access_token).toEqual(expect.any(String));
  });

  it('undoes a chain of changes: the first undo link brings the first address back', async () => {
    const user = await signup();
    const [second, third] = [uniqueEmail('second'), uniqueEmail('third')];
    await change(user.access_token, second);
    const undoToken = await relay.token(user.email, 'email_change_undo');
    expect((await confirm(await relay.token(second, 'email_change'))).status).toBe(200);
    await change(user.access_token, third);
    expect((await confirm(await relay.token(third, 'email_change'))).status).toBe(200);
    expect((await undo(undoToken)).status).toBe(200);
    expect((await emailOf(user.user.id))?.email).toBe(user.email);
  });

  it('undone before confirmation, voids the confirmation link', async () => {
    const user = await signup();
    const next = uniqueEmail('new');
    await change(user.access_token, next);
    const undoToken = await relay.token(user.email, 'email_change_undo');
    const confirmToken = await relay.token(next, 'email_change');
    expect((await undo(undoToken)).status).toBe(200);
    await expectError(await confirm(confirmToken), 400, 'invalid_request');
    expect((await emailOf(user.user.id))?.email).toBe(user.email);
  });

  it('needs step-up: a stolen, refreshed token of an old sign-in cannot change the email', async () => {
    const user = await staleSignIn(11);
    const next = uniqueEmail('thief');
    await expectError(await change(user.access_token, next, { reauth: undefined }), 401, 'reauth_required');
    await expectError(
      await change(user.access_token, next, { reauth: { password: 'not the password' } }),
      403,
      'forbidden',
    );
    expect((await change(user.access_token, next, { reauth: { password: user.password } })).status).toBe(202);
    await relay.next(next, 'email_change');
  });

  it('refuses API keys', async () => {
    const user = await signup();
    const created = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'k', scopes: ['read', 'write'] },
    });
    const { key } = (await created.json()) as { key: string };
    await expectError(await change(key, uniqueEmail()), 403, 'forbidden');
  });

  it('answers the same for an address another account holds, and mails it nothing', async () => {
    const [user, other] = [await signup(), await signup()];
    expect((await change(user.access_token, other.email.toUpperCase())).status).toBe(202);
    await relay.next(user.email, 'email_change_undo');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(relay.mails.some((m) => m.json.kind === 'email_change')).toBe(false);
  });

  it('refuses the confirmation when another account took the address in the meantime', async () => {
    const user = await signup();
    const next = uniqueEmail('raced');
    await change(user.access_token, next);
    const token = await relay.token(next, 'email_change');
    await signup({ email: next });
    await expectError(await confirm(token), 409, 'conflict');
    expect((await emailOf(user.user.id))?.email).toBe(user.email);
  });

  it('answers bad input with 4xx and changes nothing', async () => {
    const [alice, bob] = [await signup(), await signup()];
    await expectError(await change(alice.access_token, alice.email), 400, 'invalid_request');
    await expectError(await change(alice.access_token, 'not an email'), 400, 'invalid_request');
    await expectError(await change(alice.access_token, 42), 400, 'invalid_request');
    await expectError(await change(alice.access_token, uniqueEmail(), { extra: 1 }), 400, 'invalid_request');
    await expectError(
      await call('/v1/me/email', { method: 'POST', token: alice.access_token, body: '{"new_email":' }),
      400,
      'invalid_request',
    );
    await expectError(await call('/v1/auth/email/change/undo', { method: 'POST', body: {} }), 400, 'invalid_request');
    await expectError(
      await call('/v1/me/email', { method: 'POST', body: { new_email: uniqueEmail() } }),
      401,
      'unauthorized',
    );
    const next = uniqueEmail('new');
    await change(alice.access_token, next);
    const token = await relay.token(next, 'email_change');
    const secret = token.split('.')[1]!;
    await expectError(await confirm(`${bob.user.id}.${secret}`), 400, 'invalid_request');
    await expectError(await undo(token), 400, 'invalid_request');
    await expectError(await confirm(''), 400, 'invalid_request');
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 24 * 60 * 60_000 + 1);
    await expectError(await confirm(token), 400, 'invalid_request');
    vi.mocked(Date.now).mockRestore();
    expect((await emailOf(alice.user.id))?.email).toBe(alice.email);
    expect((await emailOf(bob.user.id))?.email).toBe(bob.email);
  });
});
