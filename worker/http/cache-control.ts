/**
 * `cache-control: no-store` on everything (RFC 6749 §5.1 for token answers, and account data):
 * every /v1 answer, errors included, whatever a handler set. Outside /v1 a public answer that
 * is meant to be cached (the JWKS, the docs assets) keeps the cache-control it declares.
 */
export function applyCacheControl(headers: Headers, pathname: string): void {
  if (pathname.startsWith('/v1/') || !headers.has('cache-control')) headers.set('cache-control', 'no-store');
}
