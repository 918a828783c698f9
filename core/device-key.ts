/**
 * Device keys with WebCrypto: importing a device's public JWK (which proves it is a valid
 * point or key) and checking handshake signatures, ECDSA P-256 SHA-256 in IEEE P1363 form
 * or Ed25519.
 */
import { utf8 } from './encoding';
import type { DevicePublicKey } from './schemas/devices';

const IMPORT = {
  EC: { name: 'ECDSA', namedCurve: 'P-256' },
  OKP: { name: 'Ed25519' },
} as const;

const VERIFY = {
  EC: { name: 'ECDSA', hash: 'SHA-256' },
  OKP: { name: 'Ed25519' },
} as const;

/** The key ready to verify, or null when the JWK does not describe a valid public key. */
export async function importDeviceKey(jwk: DevicePublicKey): Promise<CryptoKey | null> {
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
  const key = await importDeviceKey(jwk);
  if (!key) return false;
  try {
    return await crypto.subtle.verify(VERIFY[jwk.kty], key, signature, utf8(message));
  } catch {
    return false;
  }
}
