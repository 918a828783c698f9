/** Byte helpers: base64url from jose, digests and randomness from WebCrypto. */
import { base64url as b64 } from 'jose';

const encoder = new TextEncoder();

export const utf8 = (text: string): Uint8Array => encoder.encode(text);

export const base64url = (bytes: Uint8Array): string => b64.encode(bytes);

export function fromBase64url(text: string): Uint8Array | null {
  try {
    return b64.decode(text);
  } catch {
    return null;
  }
}

export const randomBytes = (length: number): Uint8Array => crypto.getRandomValues(new Uint8Array(length));

/** A random url-safe identifier with `bytes` of entropy (128 bits by default). */
export const randomId = (bytes = 16): string => base64url(randomBytes(bytes));

/** SHA-256 of a UTF-8 string, base64url: how tokens and keys are stored at rest. */
export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', utf8(text));
  return base64url(new Uint8Array(digest));
}

export const hex = (bytes: ArrayBuffer | Uint8Array): string =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
