import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { uniqueEmail } from './helpers';
import { exchange, flowCookie, landing, oauthEnv, send, start } from './oauth-helpers';

/** GitHub as the preset sees it: plain OAuth 2.0, identity from the REST API. */
function mockGithub(emails: { email: string; primary: boolean; verified: boolean }[], id = 4242) {
  const seen: string[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    seen.push(`${request.method} ${request.url}`);
    if (request.url === 'https://github.com/login/oauth/access_token') {
      const form = new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer()));
      if (form.get('code') !== 'gh-code' || !form.get('code_verifier'))
        return Response.json({ error: 'bad_verification_code' });
      return Response.json({ access_token: 'gho_canary', token_type: 'bearer', scope: 'read:user,user:email' });
    }
    if (request.headers.get('authorization') !== 'Bearer gho_canary') return new Response('no', { status: 401 });
    if (request.url === 'https://api.github.com/user') return Response.json({ id, login: 'octo', email: null });
    if (request.url === 'https://api.github.com/user/emails') return Response.json(emails);
    return new Response('unmocked outbound request', { status: 599 });
  });
  return seen;
}

describe('the github preset', () => {
  const e = oauthEnv({ github: { client_id: 'gh-id', client_secret: 'gh-secret' } });
  afterEach(() => vi.restoreAllMocks());

  async function callback(code = 'gh-code') {
    const started = await start(e, 'github');
    const state = new URL(started.headers.get('location')!).searchParams.get('state');
    return send(e, `/v1/oauth/github/callback?code=${code}&state=${state}`, {
      headers: { cookie: flowCookie(started) },
    });
  }

  it('signs up with the primary verified address from /user/emails; GitHub tokens do not expire', async () => {
    const email = uniqueEmail('octo');
    const seen = mockGithub([
      { email: 'old@example.com', primary: false, verified: true },
      { email, primary: true, verified: true },
    ]);
    const code = landing(await callback()).searchParams.get('login_code')!;
    const tokens = (await (await exchange(e, code)).json()) as { user: { id: string; email: string; name: string } };
    expect(tokens.user).toMatchObject({ email, name: 'octo' });
    expect(seen).toContain('GET https://api.github.com/user/emails');
    const row = await env.DB.prepare(
      'SELECT provider_user_id, email_verified, expires_at FROM oauth_accounts WHERE user_id = ?',
    )
      .bind(tokens.user.id)
      .first();
    expect(row).toEqual({ provider_user_id: '4242', email_verified: 1, expires_at: null });
  });

  it('answers a refused code with error=unauthorized', async () => {
    mockGithub([]);
    expect(landing(await callback('wrong')).searchParams.get('error')).toBe('unauthorized');
  });

  it('refuses a sign-up when GitHub has no verified primary address', async () => {
    mockGithub([{ email: uniqueEmail('unverified'), primary: true, verified: false }], 5151);
    expect(landing(await callback()).searchParams.get('error')).toBe('invalid_request');
  });
});
