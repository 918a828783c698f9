/** What the pipeline knows about one request, passed to every handler. */
import type { Config } from '../core/config';
import type { Profile } from '../core/db/users';

export interface Principal {
  userId: string;
  /** The session behind an access token or cookie; null for an API key. */
  sessionId: string | null;
  /** The API key behind the call; null for a session. */
  keyId: string | null;
  /** `read`/`write` for API keys; sessions may do anything. */
  scopes: readonly string[] | null;
  via: 'bearer' | 'cookie' | 'api_key';
  /** Authentication methods of the session (`pwd`, `otp`, …). */
  amr: string[];
  /**
   * The session's last real authentication (ms): sign-in or step-up, never a refresh. Read
   * from the session itself, so a step-up counts before the next token; null for an API key.
   */
  authTime: number | null;
}

export interface RequestContext {
  requestId: string;
  config: Config;
  env: Env;
  exec: ExecutionContext;
  startedAt: number;
  /** `cf-connecting-ip`, set by Cloudflare's edge. */
  ip: string;
  userAgent: string | null;
  origin: string | null;
  /** The matched route pattern, for logs (never the raw URL, which may carry codes). */
  route: string | null;
  principal: Principal | null;
  /** The caller's profile as their actor cached it, when authenticated. */
  profile: Profile | null;
  /** An unexpected error caught on the way: logged and reported, never shown. */
  failure?: unknown;
  /** Headers every response of this request carries, such as rate-limit counters. */
  responseHeaders: Headers;
}

/** The context of a route with `access: 'user'`: authentication has run, so the principal is known. */
export type SignedInContext = RequestContext & { principal: Principal };

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function createContext(request: Request, env: Env, exec: ExecutionContext, config: Config): RequestContext {
  const incoming = request.headers.get('x-request-id');
  return {
    requestId: incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID(),
    config,
    env,
    exec,
    startedAt: Date.now(),
    ip: request.headers.get('cf-connecting-ip') ?? '127.0.0.1',
    userAgent: request.headers.get('user-agent'),
    origin: request.headers.get('origin'),
    route: null,
    principal: null,
    profile: null,
    responseHeaders: new Headers(),
  };
}
