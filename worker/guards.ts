/** Checks that run before a route's handler: per-IP limits and access. */

import { sha256 } from '../core/encoding';
import { authenticate, identify } from './auth/authenticate';
import type { RequestContext } from './context';
import { ApiError } from './errors';
import { bearerToken } from './http/bearer';
import { applyRateLimit } from './http/rate-limit';
import type { AnyRoute, IpBucket } from './route';

export async function enforceIpLimit(rc: RequestContext, bucket: IpBucket): Promise<void> {
  const limiter = rc.env.LIMITER.getByName(rc.ip);
  applyRateLimit(rc, await limiter.hit(bucket, rc.config.rateLimits[bucket]));
}

/** Equal-time comparison of two secrets of any length. */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  const encoder = new TextEncoder();
  return crypto.subtle.timingSafeEqual(encoder.encode(x), encoder.encode(y));
}

/**
 * The operator's bearer token, with at most `admin` failures per IP and window: past them even
 * the right token answers 429 from that address. Every attempt counts before the comparison
 * and the right token is refunded, so concurrent guesses cannot slip past the limit.
 */
async function requireAdmin(request: Request, rc: RequestContext): Promise<void> {
  const expected = rc.config.adminToken;
  // Operator routes do not exist at all when ADMIN_TOKEN is unset.
  if (!expected) throw new ApiError('not_found');
  const limiter = rc.env.LIMITER.getByName(rc.ip);
  const window = rc.config.rateLimits.admin;
  applyRateLimit(rc, await limiter.hit('admin', window));
  const token = bearerToken(request);
  if (!token || !(await secretsEqual(token, expected))) throw new ApiError('unauthorized');
  applyRateLimit(rc, await limiter.refund('admin', window));
}

/** Establishes who is calling, as the route's access mode demands. */
export async function enforceAccess(route: AnyRoute, request: Request, rc: RequestContext): Promise<void> {
  if (route.access === 'admin') return requireAdmin(request, rc);
  if (route.access === 'user') {
    const { principal, profile } =
      route.admitIn === 'handler'
        ? { principal: await identify(request, rc), profile: null }
        : await authenticate(request, rc);
    if (principal.scopes && !principal.scopes.includes(route.scope ?? 'write')) {
      throw new ApiError('forbidden', 'This API key lacks the scope this route needs.');
    }
    rc.principal = principal;
    rc.profile = profile;
  }
}
