/**
 * Device keys with WebCrypto: generate a key pair (Ed25519 or ECDSA P-256), keep the private
 * key (non-extractable by default), and sign the handshake. Signatures are what the server
 * verifies: Ed25519, or ECDSA SHA-256 in the IEEE P1363 form WebCrypto produces.
 */
import { base64url } from 'jose';

export type DeviceKeyAlgorithm = 'Ed25519' | 'P-256';

/** The public half, as POST /v1/devices takes it. */
export type PublicDeviceJwk =
  | { kty: 'OKP'; crv: 'Ed25519'; x: string }
  | { kty: 'EC'; crv: 'P-256'; x: string; y: string };

export interface DeviceKey {
  algorithm: DeviceKeyAlgorithm;
  privateKey: CryptoKey;
}

const GENERATE = {
  Ed25519: { name: 'Ed25519' },
  'P-256': { name: 'ECDSA', namedCurve: 'P-256' },
} as const;

const SIGN = {
  Ed25519: { name: 'Ed25519' },
  'P-256': { name: 'ECDSA', hash: 'SHA-256' },
} as const;

/** A new key pair; `extractable` lets you export the private key to store it yourself. */
export async function generateDeviceKey(
  algorithm: DeviceKeyAlgorithm = 'Ed25519',
  extractable = false,
): Promise<DeviceKey & { publicJwk: PublicDeviceJwk }> {
  const pair = (await crypto.subtle.generateKey(GENERATE[algorithm], extractable, ['sign', 'verify'])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey;
  const publicJwk: PublicDeviceJwk =
    algorithm === 'Ed25519'
      ? { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x) }
      : { kty: 'EC', crv: 'P-256', x: String(jwk.x), y: String(jwk.y) };
  return { algorithm, privateKey: pair.privateKey, publicJwk };
}

/** A stored private JWK back into a signing key. */
export async function importDeviceKey(jwk: JsonWebKey): Promise<DeviceKey> {
  const algorithm: DeviceKeyAlgorithm = jwk.kty === 'OKP' ? 'Ed25519' : 'P-256';
  const privateKey = await crypto.subtle.importKey('jwk', jwk, GENERATE[algorithm], false, ['sign']);
  return { algorithm, privateKey };
}

/** The text the handshake signs: `v1|device_id|client_nonce|server_nonce`. */
export const handshakeMessage = (deviceId: string, clientNonce: string, serverNonce: string): string =>
  `v1|${deviceId}|${clientNonce}|${serverNonce}`;

export async function signHandshake(
  key: DeviceKey,
  deviceId: string,
  clientNonce: string,
  serverNonce: string,
): Promise<string> {
  const data = new TextEncoder().encode(handshakeMessage(deviceId, clientNonce, serverNonce));
  const signature = await crypto.subtle.sign(SIGN[key.algorithm], key.privateKey, data);
  return base64url.encode(new Uint8Array(signature));
}

/** 16 random bytes, base64url: the client's handshake nonce. */
export const newNonce = (): string => base64url.encode(crypto.getRandomValues(new Uint8Array(16)));
