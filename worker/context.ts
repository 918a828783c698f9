/** What the pipeline knows about one request, passed to every handler. */
import type { Config } from '../core/config';
import type { Profile } from '../core/db/users';
import { D1Sessions } from './http/d1-sessions';

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
  /** A valid W3C `traceparent` from the client, echoed on the response and logged as `trace_id`. */
  traceparent: string | null;
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
  /** D1 through the Sessions API: the primary for writes and security reads, replicas for lists. */
  d1: D1Sessions;
}

/** The context of a route with `access: 'user'`: authentication has run, so the principal is known. */
export type SignedInContext = RequestContext & { principal: Principal };

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
// W3C Trace Context, version 00: all-zero trace and parent ids are invalid.
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export function createContext(request: Request, env: Env, exec: ExecutionContext, config: Config): RequestContext {
  const incoming = request.headers.get('x-request-id');
  return {
    requestId: incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID(),
    traceparent: traceparentOf(request),
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
    d1: D1Sessions.from(env.DB, request),
  };
}

function traceparentOf(request: Request): string | null {
  const header = request.headers.get('traceparent')?.trim().toLowerCase();
  return header && TRACEPARENT.test(header) ? header : null;
}

/** The trace id of a valid `traceparent`. */
export const traceIdOf = (traceparent: string | null): string | null => traceparent?.split('-')[1] ?? null;
