/**
 * Access tokens: ES256 JWTs from jose. The first configured key signs; every key verifies,
 * so a key can be rotated in without logging anyone out.
 */
import { type CryptoKey, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import type { SigningJwk } from './config';
import { randomId } from './encoding';

export const ACCESS_TOKEN_TTL_S = 15 * 60;

export interface AccessClaims {
  sub: string;
  sid: string;
  amr: string[];
  /** Seconds: the session's last real authentication (OIDC `auth_time`); a refresh keeps it. */
  auth_time: number;
}

export interface JwtSettings {
  issuer: string;
  audience: string;
  signingKeys: SigningJwk[];
}

interface KeySet {
  signer: { kid: string; key: CryptoKey };
  verifiers: Map<string, CryptoKey>;
}

const keySets = new WeakMap<SigningJwk[], Promise<KeySet>>();

function keysOf(settings: JwtSettings): Promise<KeySet> {
  let set = keySets.get(settings.signingKeys);
  if (!set) {
    set = (async () => {
      const verifiers = new Map<string, CryptoKey>();
      for (const jwk of settings.signingKeys) {
        const { d: _private, ...publicJwk } = jwk;
        verifiers.set(jwk.kid, (await importJWK(publicJwk as JWK, 'ES256')) as CryptoKey);
      }
      const first = settings.signingKeys[0]!;
      return { signer: { kid: first.kid, key: (await importJWK(first as JWK, 'ES256')) as CryptoKey }, verifiers };
    })();
    keySets.set(settings.signingKeys, set);
  }
  return set;
}

export async function signAccessToken(settings: JwtSettings, claims: AccessClaims, now = Date.now()): Promise<string> {
  const { signer } = await keysOf(settings);
  const iat = Math.floor(now / 1000);
  return new SignJWT({ sid: claims.sid, amr: claims.amr, auth_time: claims.auth_time })
    .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: 'at+jwt' })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_TOKEN_TTL_S)
    .setJti(randomId())
    .sign(signer.key);
}

/** The claims of a valid token (with `iat`, seconds), or null for anything else: bad signature, alg, kid, iss, aud, expiry. */
export async function verifyAccessToken(
  settings: JwtSettings,
  token: string,
): Promise<(AccessClaims & { iat: number }) | null> {
  const { verifiers } = await keysOf(settings);
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = header.kid ? verifiers.get(header.kid) : undefined;
        if (!key) throw new Error('unknown kid');
        return key;
      },
      {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: ['ES256'],
        typ: 'at+jwt',
        requiredClaims: ['sub', 'sid', 'exp', 'iat', 'jti', 'auth_time'],
      },
    );
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || !Array.isArray(payload.amr)) return null;
    if (typeof payload.iat !== 'number' || typeof payload.auth_time !== 'number') return null;
    const amr = payload.amr.filter((m): m is string => typeof m === 'string');
    return { sub: payload.sub, sid: payload.sid, amr, auth_time: payload.auth_time, iat: payload.iat };
  } catch {
    return null;
  }
}

/** The public halves of every configured key, for /.well-known/jwks.json. */
export function publicJwks(settings: JwtSettings) {
  return {
    keys: settings.signingKeys.map(({ kty, crv, x, y, kid }) => ({
      kty,
      crv,
      x,
      y,
      kid,
      alg: 'ES256' as const,
      use: 'sig' as const,
    })),
  };
}
