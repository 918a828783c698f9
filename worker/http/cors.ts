/**
 * CORS against the `CORS_ORIGINS` allowlist. A listed origin gets credentialed access and
 * counts as trusted for cookie-authenticated writes (CSRF); `*` (development only) opens
 * reads without credentials and never makes an origin trusted.
 */
import type { RequestContext } from '../context';

const ALLOW_HEADERS = 'authorization, content-type, x-request-id, traceparent, x-d1-bookmark';
const EXPOSE_HEADERS =
  'x-request-id, traceparent, x-d1-bookmark, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after';

/** An origin listed by name: trusted with credentials and for cookie-authenticated writes. */
export const isAllowedOrigin = (rc: RequestContext, origin: string | null): origin is string =>
  origin !== null && rc.config.corsOrigins.includes(origin);

const isWildcard = (rc: RequestContext) => rc.config.corsOrigins.includes('*');

/** Answers a preflight: always 204, with permission only for an allowed origin. */
export function preflight(request: Request, rc: RequestContext): Response | null {
  if (request.method !== 'OPTIONS' || !request.headers.has('access-control-request-method')) {
    return null;
  }
  const headers = new Headers({ vary: 'origin' });
  if (rc.origin !== null && (isAllowedOrigin(rc, rc.origin) || isWildcard(rc))) {
    headers.set('access-control-allow-methods', 'GET, POST, PATCH, DELETE, OPTIONS');
    headers.set('access-control-allow-headers', ALLOW_HEADERS);
    headers.set('access-control-max-age', '600');
  }
  return new Response(null, { status: 204, headers });
}

export function applyCors(headers: Headers, rc: RequestContext): void {
  headers.append('vary', 'origin');
  if (isAllowedOrigin(rc, rc.origin)) {
    headers.set('access-control-allow-origin', rc.origin);
    headers.set('access-control-allow-credentials', 'true');
  } else if (rc.origin !== null && isWildcard(rc)) {
    headers.set('access-control-allow-origin', '*');
  } else {
    return;
  }
  headers.set('access-control-expose-headers', EXPOSE_HEADERS);
}
