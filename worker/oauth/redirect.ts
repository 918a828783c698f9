/** Where a flow may send the browser: only to origins in OAUTH_REDIRECT_ALLOWLIST, exactly. */
import type { RequestContext } from '../context';

/** The URL when its origin is allowed (http or https, no credentials), else null. */
export function allowedRedirect(rc: RequestContext, raw: string): URL | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) return null;
  return rc.config.oauthRedirectAllowlist.includes(url.origin) ? url : null;
}

/** `base` with `params` added to its query (existing parameters kept). */
export function withParams(base: URL | string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

/** A 302 that no cache keeps, since its location may carry a one-time code. */
export function redirect(location: string, headers = new Headers()): Response {
  headers.set('location', location);
  headers.set('cache-control', 'no-store');
  return new Response(null, { status: 302, headers });
}
