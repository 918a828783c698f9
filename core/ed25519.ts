/** Ed25519 point checks through @noble/curves: what WebCrypto's key import does not refuse. */
import { ed25519 } from '@noble/curves/ed25519.js';

/**
 * True when `bytes` is the canonical encoding (RFC 8032 §5.1.3) of a point that is not of
 * small order: under one of the 8 small-order points (in any encoding) a signature verifies
 * without the private key, a constant one for the identity. With `subgroup`, also refuses a
 * point with a small-order component (~4 ms more): no honestly generated key has one.
 */
export function isSafePublicPoint(bytes: Uint8Array, options: { subgroup: boolean }): boolean {
  try {
    const point = ed25519.Point.fromBytes(bytes);
    return !point.isSmallOrder() && (!options.subgroup || point.isTorsionFree());
  } catch {
    return false;
  }
}
