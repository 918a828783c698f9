/**
 * Device keys with WebCrypto: importing a device's public JWK and checking handshake
 * signatures, ECDSA P-256 SHA-256 in IEEE P1363 form or Ed25519. The P-256 import refuses a
 * point off the curve; an Ed25519 point is checked for small order first, which the import
 * does not do.
 */
import { isSafePublicPoint } from './ed25519';
import { fromBase64url, utf8 } from './encoding';
import type { DevicePublicKey } from './schemas/devices';

const IMPORT = {
  EC: { name: 'ECDSA', namedCurve: 'P-256' },
  OKP: { name: 'Ed25519' },
} as const;

const VERIFY = {
  EC: { name: 'ECDSA', hash: 'SHA-256' },
  OKP: { name: 'Ed25519' },
} as const;

/**
 * The key ready to verify, or null when the JWK does not describe a valid public key. `subgroup`
 * also refuses an Ed25519 point with a small-order component: done when a key is registered.
 */
export async function importDeviceKey(jwk: DevicePublicKey, subgroup = true): Promise<CryptoKey | null> {
  if (jwk.kty === 'OKP' && !isSafePublicPoint(fromBase64url(jwk.x) ?? new Uint8Array(), { subgroup })) return null;
  try {
    const key = await crypto.subtle.importKey('jwk', jwk, IMPORT[jwk.kty], false, ['verify']);
    return key.type === 'public' ? key : null;
  } catch {
    return null;
  }
}

/** True when `signature` is the device's signature over `message`. */
export async function verifyDeviceSignature(
  jwk: DevicePublicKey,
  message: string,
  signature: Uint8Array,
): Promise<boolean> {
  // Registration checked the subgroup; small order (a constant signature passes) is checked
  // again on every handshake for keys stored before that check existed.
  const key = await importDeviceKey(jwk, false);
  if (!key) return false;
  try {
    return await crypto.subtle.verify(VERIFY[jwk.kty], key, signature, utf8(message));
  } catch {
    return false;
  }
}
