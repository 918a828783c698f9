/**
 * The request pipeline around the router: configuration, request id, CORS, deadline,
 * security headers, the log line and error reporting.
 */
import { ConfigError, configFrom } from '../core/config';
import { withDeadline } from '../core/deadline';
import { describeError, log } from '../core/log';
import { latencyBucket, recordMetric } from '../core/metrics';
import { reportError } from '../core/sentry';
import { router } from './app';
import { createContext, type RequestContext, traceIdOf } from './context';
import { ApiError, errorResponse } from './errors';
import { applyCacheControl } from './http/cache-control';
import { applyCors, preflight } from './http/cors';
import { BOOKMARK_HEADER } from './http/d1-sessions';
import { applySecurityHeaders } from './http/security-headers';

export async function handle(request: Request, env: Env, exec: ExecutionContext): Promise<Response> {
  let config: ReturnType<typeof configFrom>;
  try {
    config = configFrom(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    log('error', 'configuration refused', { problems: error.problems });
    return finalize(request, errorResponse(new ApiError('internal'), crypto.randomUUID()), null);
  }
  const rc = createContext(request, env, exec, config);
  const response =
    preflight(request, rc) ??
    (await withDeadline(router.fetch(request, env, exec, rc), config.requestTimeoutMs, () =>
      errorResponse(new ApiError('timeout'), rc.requestId),
    ));
  const final = finalize(request, response, rc);
  logRequest(request, final, rc);
  return final;
}

function finalize(request: Request, response: Response, rc: RequestContext | null): Response {
  // A response from fetch() or a WebSocket upgrade has immutable headers: copy them.
  const headers = new Headers(response.headers);
  if (rc) {
    headers.set('x-request-id', rc.requestId);
    if (rc.traceparent) headers.set('traceparent', rc.traceparent);
    const bookmark = rc.d1.bookmark();
    if (bookmark) headers.set(BOOKMARK_HEADER, bookmark);
    for (const [name, value] of rc.responseHeaders) if (!headers.has(name)) headers.set(name, value);
    applyCors(headers, rc);
  }
  applySecurityHeaders(headers);
  applyCacheControl(headers, new URL(request.url).pathname);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
    webSocket: response.webSocket,
  });
}

function logRequest(request: Request, response: Response, rc: RequestContext): void {
  const fields = {
    request_id: rc.requestId,
    trace_id: traceIdOf(rc.traceparent),
    method: request.method,
    route: rc.route,
    status: response.status,
    duration_ms: Date.now() - rc.startedAt,
    user_id: rc.principal?.userId ?? null,
  };
  recordMetric(rc.env.METRICS, {
    kind: 'request',
    route: rc.route ?? 'unmatched',
    method: request.method,
    status: response.status,
    status_class: `${Math.floor(response.status / 100)}xx`,
    latency_bucket: latencyBucket(fields.duration_ms),
    duration_ms: fields.duration_ms,
  });
  if (rc.failure === undefined) {
    log(response.status >= 500 ? 'error' : 'info', 'request', fields);
    return;
  }
  log('error', 'request failed', { ...fields, ...describeError(rc.failure) });
  if (rc.config.sentryDsn) {
    reportError(rc.failure, {
      dsn: rc.config.sentryDsn,
      environment: rc.config.environment,
      release: rc.config.version,
      exec: rc.exec,
      request,
      requestId: rc.requestId,
      userId: rc.principal?.userId ?? null,
    });
  }
}
