/**
 * ID token verification with jose against the provider's JWKS (fetched and cached per isolate
 * by `createRemoteJWKSet`): signature, `iss`, `aud`, `exp` and our `nonce`.
 */
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { err, ok, type Result } from '../result';
import type { Provider } from './provider';

// Asymmetric algorithms only: no `none`, no HMAC keyed with a public value.
const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
const CLOCK_TOLERANCE_S = 30;
const INVALID =
  /^ERR_(JWT_|JWS_|JOSE_ALG_NOT_ALLOWED|JOSE_NOT_SUPPORTED|JWKS_NO_MATCHING_KEY|JWKS_MULTIPLE_MATCHING_KEYS)/;

const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySetFor(jwksUri: string) {
  let set = keySets.get(jwksUri);
  if (!set) {
    set = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    keySets.set(jwksUri, set);
  }
  return set;
}

export type IdTokenFailure = { type: 'invalid'; reason: string } | { type: 'unavailable' };

export async function verifyIdToken(
  provider: Provider,
  idToken: string,
  nonce: string,
): Promise<Result<JWTPayload, IdTokenFailure>> {
  if (!provider.jwksUri || !provider.issuer) return err({ type: 'invalid', reason: 'not_oidc' });
  try {
    const { payload } = await jwtVerify(idToken, keySetFor(provider.jwksUri), {
      issuer: provider.issuer,
      audience: provider.clientId,
      algorithms: ALGORITHMS,
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    if (payload.nonce !== nonce) return err({ type: 'invalid', reason: 'nonce' });
    return ok(payload);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && INVALID.test(code)) return err({ type: 'invalid', reason: code });
    // The key set could not be fetched or read: the provider's fault, not the token's.
    return err({ type: 'unavailable' });
  }
}
