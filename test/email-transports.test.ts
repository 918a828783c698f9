import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Config, configFrom } from '../core/config';
import { mimeOf } from '../core/mail/mime';
import { linkEmail } from '../core/mail/templates';
import { sendEmail } from '../objects/shared/transports/email';

const brand = { appName: 'Acme & Co', appUrl: 'https://app.example.com' };
const email = linkEmail(brand, 'verify_email', 'ada@example.com', 'user1.secret-token');
const id = 'msg_AAAAAAAAAAAAAAAAAAAAAA';
const configWith = (patch: Partial<Config['email']>): Config => {
  const config = configFrom(env);
  return { ...config, appName: brand.appName, email: { ...config.email, ...patch } };
};

describe('email transports', () => {
  afterEach(() => vi.restoreAllMocks());

  it('log: writes the message with its link to the log and sends nothing', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((line: string) => lines.push(line));
    const fetched = vi.spyOn(globalThis, 'fetch');
    const result = await sendEmail(configWith({ transport: 'log' }), env, id, email);
    expect(result.ok).toBe(true);
    expect(fetched).not.toHaveBeenCalled();
    expect(JSON.parse(lines[0]!)).toMatchObject({
      message_id: id,
      to: 'ada@example.com',
      kind: 'verify_email',
      link: 'https://app.example.com/verify-email?token=user1.secret-token',
    });
  });

  it('resend: posts to Resend with the API key and the message id as idempotency key', async () => {
    const seen: Request[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      seen.push(new Request(input, init));
      return Response.json({ id: 'resend-id' });
    });
    const config = configWith({ transport: 'resend', from: 'noreply@example.com', resendApiKey: 're_test_key_123456' });
    expect((await sendEmail(config, env, id, email)).ok).toBe(true);
    const request = seen[0]!;
    expect(request.url).toBe('https://api.resend.com/emails');
    expect(request.headers.get('authorization')).toBe('Bearer re_test_key_123456');
    expect(request.headers.get('idempotency-key')).toBe(id);
    expect(await request.json()).toEqual({
      from: 'Acme & Co <noreply@example.com>',
      to: ['ada@example.com'],
      subject: email.subject,
      text: email.text,
      html: email.html,
    });
  });

  it('resend: a refusal or a network failure is a failed delivery with a short reason', async () => {
    const config = configWith({ transport: 'resend', from: 'noreply@example.com', resendApiKey: 're_test_key_123456' });
    vi.spyOn(globalThis, 'fetch').mockImplementation(
      async () => new Response('{"message":"secret detail"}', { status: 422 }),
    );
    expect(await sendEmail(config, env, id, email)).toEqual({
      ok: false,
      error: { type: 'failed', reason: 'HTTP 422' },
    });
    vi.mocked(globalThis.fetch).mockImplementation(async () => {
      throw new TypeError('connection refused');
    });
    expect(await sendEmail(config, env, id, email)).toEqual({
      ok: false,
      error: { type: 'failed', reason: 'network error' },
    });
  });

  it('cloudflare: hands a MIME message built by mimetext to the send_email binding', async () => {
    const config = configWith({ transport: 'cloudflare', from: 'noreply@example.com' });
    expect(await sendEmail(config, env, id, email)).toEqual({ ok: true, value: null });
    // The binding refuses a sender it does not allow: a failed delivery, not an exception.
    const refused = await sendEmail(
      { ...config, email: { ...config.email, from: 'other@example.com' } },
      env,
      id,
      email,
    );
    expect(refused).toEqual({ ok: false, error: { type: 'failed', reason: 'send_email refused the message' } });
  });

  it('builds a multipart message with both parts and the outbox id as Message-ID', () => {
    const raw = mimeOf({ name: brand.appName, address: 'noreply@example.com' }, id, email);
    // The display name is RFC 2047 encoded by mimetext.
    expect(raw).toMatch(new RegExp(`^From: =\\?utf-8\\?B\\?${btoa('Acme & Co')}\\?= <noreply@example\\.com>\r?$`, 'm'));
    expect(raw).toMatch(/^To: <ada@example\.com>\r?$/m);
    expect(raw).toMatch(/^Message-ID: <msg_A{22}@example\.com>\r?$/m);
    expect(raw).toContain('Content-Type: multipart/alternative');
    expect(raw).toContain('Content-Type: text/plain');
    expect(raw).toContain('Content-Type: text/html');
  });

  it('escapes the operator’s values in HTML and keeps the token a query parameter', () => {
    expect(email.html).toContain('Acme &amp; Co');
    expect(email.html).toContain('href="https://app.example.com/verify-email?token=user1.secret-token"');
    expect(email.subject).toBe('Acme & Co: Confirm your email address');
  });
});
