/** CORS against the `CORS_ORIGINS` allowlist. */
import type { RequestContext } from '../context';

const ALLOW_HEADERS = 'authorization, content-type, x-request-id';
const EXPOSE_HEADERS = 'x-request-id, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after';

export const isAllowedOrigin = (rc: RequestContext, origin: string | null): origin is string =>
  origin !== null && (rc.config.corsOrigins.includes(origin) || rc.config.corsOrigins.includes('*'));

/** Answers a preflight: always 204, with permission only for an allowed origin. */
export function preflight(request: Request, rc: RequestContext): Response | null {
  if (request.method !== 'OPTIONS' || !request.headers.has('access-control-request-method')) {
    return null;
  }
  const headers = new Headers({ vary: 'origin' });
  if (isAllowedOrigin(rc, rc.origin)) {
    headers.set('access-control-allow-methods', 'GET, POST, PATCH, DELETE, OPTIONS');
    headers.set('access-control-allow-headers', ALLOW_HEADERS);
    headers.set('access-control-max-age', '600');
  }
  return new Response(null, { status: 204, headers });
}

export function applyCors(headers: Headers, rc: RequestContext): void {
  headers.append('vary', 'origin');
  if (!isAllowedOrigin(rc, rc.origin)) return;
  headers.set('access-control-allow-origin', rc.origin);
  headers.set('access-control-allow-credentials', 'true');
  headers.set('access-control-expose-headers', EXPOSE_HEADERS);
}
