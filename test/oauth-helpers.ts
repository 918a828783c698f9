/** OAuth test helpers: the Worker under an OAUTH_PROVIDERS override, and whole browser round trips. */
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker from '../worker/index';
import { BASE, type CallOptions, freshIp, type Tokens, uniqueEmail } from './helpers';
import type { FakeProvider, FakeUser } from './oauth-provider';

export const APP = 'https://app.example';
export const BACK = `${APP}/signed-in?from=test`;

/** The test environment with these providers and APP as the only redirect origin. */
export const oauthEnv = (providers: Record<string, unknown>, extra: Record<string, string> = {}): Env =>
  ({ ...env, OAUTH_PROVIDERS: JSON.stringify(providers), OAUTH_REDIRECT_ALLOWLIST: APP, ...extra }) as Env;

/** A request through the Worker with `e` as its environment. */
export async function send(e: Env, path: string, options: CallOptions = {}): Promise<Response> {
  const { body, ip, token, headers, ...rest } = options;
  const h = new Headers(headers);
  h.set('cf-connecting-ip', ip ?? freshIp());
  if (token) h.set('authorization', `Bearer ${token}`);
  if (body !== undefined && !h.has('content-type')) h.set('content-type', 'application/json');
  const ctx = createExecutionContext();
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const response = await worker.fetch(new Request(`${BASE}${path}`, { ...rest, headers: h, body: payload }), e, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

export interface StartOptions {
  redirectTo?: string;
  intent?: 'login' | 'link';
  mode?: 'cookie' | 'body';
  token?: string;
}

export function start(e: Env, provider: string, options: StartOptions = {}): Promise<Response> {
  const query = new URLSearchParams({ redirect_to: options.redirectTo ?? BACK });
  if (options.intent) query.set('intent', options.intent);
  if (options.mode) query.set('mode', options.mode);
  return send(e, `/v1/oauth/${provider}/start?${query}`, { token: options.token });
}

/** The `cookie` request header a browser sends back after `start` set `__Host-oauth_flow`. */
export function flowCookie(started: Response): string {
  const set = started.headers.getSetCookie().find((c) => c.startsWith('__Host-oauth_flow='));
  if (!set) throw new Error('start set no flow cookie');
  return set.split(';')[0]!;
}

/** The callback request the provider sends the browser to, with the browser's flow cookie. */
export const sendCallback = (e: Env, started: Response, path: string, options: CallOptions = {}) =>
  send(e, path, { ...options, headers: { cookie: flowCookie(started) } });

/** Start, the provider's consent, and the callback; answers the callback's response. */
export async function roundTrip(
  e: Env,
  fake: FakeProvider,
  provider: string,
  user: FakeUser,
  options: StartOptions = {},
): Promise<Response> {
  const started = await start(e, provider, options);
  if (started.status !== 302) throw new Error(`start failed: ${started.status} ${await started.text()}`);
  return sendCallback(e, started, fake.authorize(started.headers.get('location')!, user));
}

/** Where a callback sent the browser. */
export const landing = (response: Response): URL => new URL(response.headers.get('location') ?? 'about:blank');

export const exchange = (e: Env, loginCode: string, query = '') =>
  send(e, `/v1/oauth/exchange${query}`, { method: 'POST', body: { login_code: loginCode } });

/** A whole sign-in: round trip and exchange; answers the tokens. */
export async function signInWith(e: Env, fake: FakeProvider, provider: string, user: FakeUser): Promise<Tokens> {
  const callback = await roundTrip(e, fake, provider, user);
  const code = landing(callback).searchParams.get('login_code');
  if (!code) throw new Error(`no login code: ${callback.status} ${callback.headers.get('location')}`);
  const response = await exchange(e, code);
  if (response.status !== 200) throw new Error(`exchange failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as Tokens;
}

/** The user's actor reads OAUTH_PROVIDERS from its own env, which a test's override does not reach: give it `e`. */
export const actorSees = (userId: string, e: Env) =>
  runInDurableObject(env.USER.getByName(userId), (instance) => void Reflect.set(instance, 'env', e));

/** A new user signed in through `provider` (so their session is recent), whose actor sees `e`. */
export async function connectedUser(e: Env, fake: FakeProvider, provider: string): Promise<Tokens> {
  const tokens = await signInWith(e, fake, provider, {
    sub: `sub-${crypto.randomUUID()}`,
    email: uniqueEmail(provider),
    email_verified: true,
  });
  await actorSees(tokens.user.id, e);
  return tokens;
}
