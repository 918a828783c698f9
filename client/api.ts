/**
 * The typed HTTP client of the API: openapi-fetch over the types generated from /openapi.json
 * (api-types.ts), with sign-up, sign-in (and its second factor), tokens kept and refreshed, and
 * 429s retried after `retry-after`. The only module that imports openapi-fetch.
 */
import createClient, { type Client } from 'openapi-fetch';
import { type RetryOptions, retryOn429, type Send } from './api-retry.ts';
import { memoryStorage, singleFlight, type TokenStorage } from './api-tokens.ts';
import type { paths } from './api-types.ts';
import { ApiRequestError } from './http.ts';

type Json<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } };
}
  ? T
  : never;
type SessionBody = Json<'/v1/auth/login', 'post', 200>;
type SignupInput = NonNullable<paths['/v1/auth/signup']['post']['requestBody']>['content']['application/json'];

/** The signed-in user, as sign-up and sign-in answer it. */
export type User = SessionBody['user'];

export type SignIn = { status: 'signed_in'; user: User } | { status: 'mfa_required'; mfaToken: string };

export interface ApiOptions {
  /** The API's origin, such as `https://api.example.com`. */
  baseUrl: string;
  /** Where tokens are kept in `body` mode (default: memory only). */
  storage?: TokenStorage;
  /**
   * `body` (default): tokens come back in the body and are kept in `storage`, calls send a bearer
   * token. `cookie` (browsers): the API sets httpOnly `__Host-` cookies that script never sees.
   */
  mode?: 'body' | 'cookie';
  fetch?: Send;
  retry?: RetryOptions;
  /** Injected by tests. */
  now?: () => number;
}

export interface Api {
  /** Every route, typed: `api.client.GET('/v1/me')`. Signed in when a session is. */
  client: Client<paths>;
  signUp(input: SignupInput): Promise<User>;
  /** With MFA on, finish with `completeMfa(mfaToken, code)`. */
  signIn(input: { email: string; password: string }): Promise<SignIn>;
  completeMfa(mfaToken: string, code: string): Promise<User>;
  signOut(): Promise<void>;
  /** A current access token (refreshed first when it is about to expire), for `registerDevice`. */
  accessToken(): Promise<string>;
}

// An access token this close to its expiry is refreshed before it is sent.
const REFRESH_AHEAD_MS = 30_000;
const SIGN_IN_ROUTES = new Set(['/v1/auth/signup', '/v1/auth/login', '/v1/auth/mfa', '/v1/auth/refresh']);

function failure(response: Response, body: unknown): ApiRequestError {
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return new ApiRequestError(response.status, error?.code ?? 'unknown', error?.message ?? `HTTP ${response.status}`);
}

// Only an expired or revoked token is worth a refresh; reauth_required and mfa_required are not.
async function tokenRefused(response: Response): Promise<boolean> {
  if (response.status !== 401) return false;
  const body = (await response
    .clone()
    .json()
    .catch(() => null)) as { error?: { code?: string } } | null;
  return body?.error?.code === 'unauthorized';
}

function withBearer(request: Request, token: string | null): Request {
  const copy = request.clone();
  if (token) copy.headers.set('authorization', `Bearer ${token}`);
  return copy;
}

/** A client of the API at `baseUrl`. */
export function createApi(options: ApiOptions): Api {
  const { baseUrl, storage = memoryStorage(), mode = 'body', now = Date.now } = options;
  const send = retryOn429(options.fetch ?? ((request) => fetch(request)), options.retry);
  // Node and workerd refuse or ignore `credentials`; only cookie mode (a browser) needs it.
  const init = mode === 'cookie' ? { credentials: 'include' as const } : {};
  const query = mode === 'cookie' ? { mode: 'cookie' as const } : {};

  async function adopt(body: SessionBody): Promise<User> {
    if (mode === 'body') {
      if (!body.access_token || !body.refresh_token)
        throw new ApiRequestError(500, 'internal', 'No tokens in the answer.');
      const expires_at = now() + body.expires_in * 1000;
      await storage.save({ access_token: body.access_token, refresh_token: body.refresh_token, expires_at });
    }
    return body.user;
  }

  const refresh = singleFlight(async (): Promise<boolean> => {
    const tokens = mode === 'body' ? await storage.load() : null;
    if (mode === 'body' && !tokens) return false;
    const body = tokens ? { refresh_token: tokens.refresh_token } : {};
    const { data, response } = await client.POST('/v1/auth/refresh', { params: { query }, body });
    if (data) return adopt(data).then(() => true);
    // A spent or revoked refresh token: the session is over.
    if (response.status === 401) await storage.save(null);
    return false;
  });

  async function currentToken(): Promise<string | null> {
    const tokens = await storage.load();
    if (tokens && tokens.expires_at - now() < REFRESH_AHEAD_MS) await refresh();
    return (await storage.load())?.access_token ?? null;
  }

  const authorized: Send = async (request) => {
    if (SIGN_IN_ROUTES.has(new URL(request.url).pathname)) return send(request);
    const used = mode === 'body' ? await currentToken() : null;
    const response = await send(withBearer(request, used));
    if (!(await tokenRefused(response))) return response;
    // Another call may have refreshed meanwhile: then its token is used without a second refresh.
    const latest = mode === 'body' ? ((await storage.load())?.access_token ?? null) : null;
    if ((latest === used || latest === null) && !(await refresh())) return response;
    const retried = mode === 'body' ? await currentToken() : null;
    if (mode === 'body' && !retried) return response;
    return send(withBearer(request, retried));
  };

  const client = createClient<paths>({ baseUrl, fetch: authorized, ...init });

  return {
    client,
    async signUp(input) {
      const { data, error, response } = await client.POST('/v1/auth/signup', { params: { query }, body: input });
      if (!data) throw failure(response, error);
      return adopt(data);
    },
    async signIn(input) {
      const { data, error, response } = await client.POST('/v1/auth/login', { params: { query }, body: input });
      if (data) return { status: 'signed_in', user: await adopt(data) };
      const mfaToken = (error as { mfa_token?: unknown } | undefined)?.mfa_token;
      if (error?.error.code === 'mfa_required' && typeof mfaToken === 'string') {
        return { status: 'mfa_required', mfaToken };
      }
      throw failure(response, error);
    },
    async completeMfa(mfaToken, code) {
      const body = { mfa_token: mfaToken, code };
      const { data, error, response } = await client.POST('/v1/auth/mfa', { params: { query }, body });
      if (!data) throw failure(response, error);
      return adopt(data);
    },
    async signOut() {
      const { error, response } = await client.POST('/v1/auth/logout');
      await storage.save(null);
      if (!response.ok && response.status !== 401) throw failure(response, error);
    },
    async accessToken() {
      if (mode === 'cookie') throw new ApiRequestError(400, 'invalid_request', 'In cookie mode the token is a cookie.');
      const token = await currentToken();
      if (!token) throw new ApiRequestError(401, 'unauthorized', 'Not signed in.');
      return token;
    },
  };
}
