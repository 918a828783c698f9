/**
 * Encryption at rest (TOTP secrets, provider tokens): AES-256-GCM from WebCrypto under
 * DATA_ENCRYPTION_KEY, with a fresh 96-bit IV per value, as `v1.<iv>.<ciphertext>`.
 */
import { base64url, fromBase64url, randomBytes, utf8 } from './encoding';

const keys = new Map<string, Promise<CryptoKey>>();

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    const raw = fromBase64url(secret);
    if (raw?.length !== 32) throw new Error('DATA_ENCRYPTION_KEY must be 32 bytes');
    key = crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    keys.set(secret, key);
  }
  return key;
}

export async function seal(secret: string, plaintext: string, context: string): Promise<string> {
  const iv = randomBytes(12);
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: utf8(context) },
    await keyFor(secret),
    utf8(plaintext),
  );
  return `v1.${base64url(iv)}.${base64url(new Uint8Array(ciphertext))}`;
}

/** Decrypts a sealed value: the plaintext, or null when it was tampered with or sealed for another context. */
export async function unseal(secret: string, sealed: string, context: string): Promise<string | null> {
  const [version, iv, ciphertext] = sealed.split('.');
  const ivBytes = iv ? fromBase64url(iv) : null;
  const data = ciphertext ? fromBase64url(ciphertext) : null;
  if (version !== 'v1' || !ivBytes || !data) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: ivBytes, additionalData: utf8(context) },
      await keyFor(secret),
      data,
    );
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}
