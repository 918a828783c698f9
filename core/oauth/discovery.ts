/**
 * OIDC discovery (`${issuer}/.well-known/openid-configuration`) through the OAuth client,
 * retried and behind the provider's breaker (guard.ts), cached per isolate for an hour. Only answers are cached, never a failure, and never a
 * Response (workerd refuses I/O objects across requests).
 */
import * as v from 'valibot';
import { err, ok, type Result } from '../result';
import { discoveryDocument } from './client';
import { guarded } from './guard';

const Url = v.pipe(v.string(), v.url());
const DiscoveryDocument = v.looseObject({
  issuer: Url,
  authorization_endpoint: Url,
  token_endpoint: Url,
  userinfo_endpoint: v.optional(Url),
  revocation_endpoint: v.optional(Url),
  jwks_uri: Url,
});
export type Discovery = v.InferOutput<typeof DiscoveryDocument>;

const CACHE_MS = 3600_000;
const cache = new Map<string, { document: Discovery; until: number }>();

/** The issuer's document; a fetch (not a cache hit) goes through the breaker of `provider`. */
export async function discover(
  issuer: string,
  provider: string,
  now = Date.now(),
): Promise<Result<Discovery, { type: 'unavailable' }>> {
  const hit = cache.get(issuer);
  if (hit && hit.until > now) return ok(hit.document);
  const answer = await guarded(provider, () => discoveryDocument(issuer));
  const parsed = answer.ok ? v.safeParse(DiscoveryDocument, answer.value) : null;
  if (!parsed?.success) return err({ type: 'unavailable' });
  cache.set(issuer, { document: parsed.output, until: now + CACHE_MS });
  return ok(parsed.output);
}
