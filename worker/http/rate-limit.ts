/** A rate-limit decision on the way out: its counters on the response, and 429 past the limit. */
import { type Decision, rateLimitHeaders } from '../../core/rate-limit';
import type { RequestContext } from '../context';
import { ApiError } from '../errors';

export function applyRateLimit(rc: RequestContext, decision: Decision): void {
  const headers = rateLimitHeaders(decision);
  for (const [name, value] of Object.entries(headers)) rc.responseHeaders.set(name, value);
  if (!decision.allowed) throw new ApiError('rate_limited', undefined, { headers });
}
