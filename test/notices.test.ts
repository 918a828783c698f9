import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configFrom, type NoticeKind } from '../core/config';
import { audit } from '../worker/auth/audit';
import { createContext } from '../worker/context';
import { call, freshIp, login, signup } from './helpers';
import { catchMail, outboxDrained, type Relay } from './mail';
import { enrolTotp } from './mfa-helpers';

const newKey = { kty: 'OKP', crv: 'Ed25519', x: 'O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik' };
const kinds = (relay: Relay, to: string) =>
  relay.mails.filter((m) => m.json.to === to && m.json.kind.startsWith('notice.')).map((m) => m.json.kind);

describe('security notices', () => {
  let relay: Relay;
  beforeEach(() => {
    relay = catchMail();
  });
  afterEach(() => vi.restoreAllMocks());

  it('tells the owner about a password change, without any user-typed text', async () => {
    const user = await signup({ name: '<script>alert(1)</script>' });
    const response = await call('/v1/me/password', {
      method: 'POST',
      token: user.access_token,
      body: { current_password: user.password, new_password: 'another fine passphrase 9' },
    });
    expect(response.status).toBe(200);
    const mail = await relay.next(user.email, 'notice.password_changed');
    expect(mail.json.subject).toBe(`${configFrom(env).appName}: security notice`);
    expect(mail.json.html).not.toContain('<script>');
    expect(mail.json.text).not.toContain('alert');
  });

  it('tells the owner when the account locks', async () => {
    const user = await signup();
    for (let i = 0; i < 5; i++) await login(user.email, 'wrong password!', freshIp());
    await relay.next(user.email, 'notice.account_locked');
  });

  it('tells the owner about a sign-in from a new address or agent, not a known one', async () => {
    const user = await signup();
    const ip = freshIp();
    expect((await login(user.email, user.password, ip)).status).toBe(200);
    await relay.next(user.email, 'notice.new_sign_in');
    expect((await login(user.email, user.password, ip)).status).toBe(200);
    await outboxDrained(user.user.id);
    expect(kinds(relay, user.email)).toEqual(['notice.new_sign_in']);
    const agent = await call('/v1/auth/login', {
      method: 'POST',
      ip,
      headers: { 'user-agent': 'Unknown Browser/1.0' },
      body: { email: user.email, password: user.password },
    });
    expect(agent.status).toBe(200);
    await relay.next(user.email, 'notice.new_sign_in');
  });

  it('tells the owner about a new API key, device, MFA and backup codes', async () => {
    const user = await signup();
    const key = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'ci', scopes: ['read'] },
    });
    expect(key.status).toBe(201);
    await relay.next(user.email, 'notice.api_key_created');
    const device = await call('/v1/devices', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'phone', public_key: newKey },
    });
    expect(device.status).toBe(201);
    await relay.next(user.email, 'notice.device_registered');
    await enrolTotp(user);
    await relay.next(user.email, 'notice.mfa_enabled');
  });

  it('sends nothing the operator turned off in EMAIL_NOTICES', async () => {
    const user = await signup();
    await outboxDrained(user.user.id);
    const context = (notices: NoticeKind[]) =>
      createContext(new Request('http://x/'), env, createExecutionContext(), {
        ...configFrom(env),
        email: { ...configFrom(env).email, notices },
      });
    await audit(context([]), user.user.id, 'password_changed');
    await audit(context(['account_locked']), user.user.id, 'password_changed');
    expect(await env.USER.getByName(user.user.id).outboxMessages()).toEqual([]);
    expect(kinds(relay, user.email)).toEqual([]);
    await audit(context(['password_changed']), user.user.id, 'password_changed');
    await relay.next(user.email, 'notice.password_changed');
  });
});
