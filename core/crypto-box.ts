/**
 * Encryption at rest (TOTP secrets, provider tokens): AES-256-GCM from WebCrypto with a fresh
 * 96-bit IV per value, bound to a context string (additional data). A value is
 * `v2.<kid>.<iv>.<ciphertext>`: the key ring's first key seals, every key opens. Values of the
 * single-key era, `v1.<iv>.<ciphertext>`, carry no key id and are tried under each key.
 */
import type { DataKey } from './config';
import { base64url, fromBase64url, randomBytes, utf8 } from './encoding';

export type { DataKey };

/** A value opened: its plaintext, and whether a key other than the sealing key had sealed it. */
export interface Opened {
  plaintext: string;
  stale: boolean;
}

const imported = new Map<string, Promise<CryptoKey>>();

function cryptoKey(secret: string): Promise<CryptoKey> {
  let key = imported.get(secret);
  if (!key) {
    const raw = fromBase64url(secret);
    if (raw?.length !== 32) throw new Error('a data encryption key must be 32 bytes');
    key = crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    imported.set(secret, key);
  }
  return key;
}

/** Seals under the ring's first key. */
export async function seal(keys: readonly DataKey[], plaintext: string, context: string): Promise<string> {
  const current = keys[0];
  if (!current) throw new Error('the data key ring is empty');
  const iv = randomBytes(12);
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: utf8(context) },
    await cryptoKey(current.key),
    utf8(plaintext),
  );
  return `v2.${current.kid}.${base64url(iv)}.${base64url(new Uint8Array(ciphertext))}`;
}

async function decrypt(
  secret: string,
  iv: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
  context: string,
): Promise<string | null> {
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: utf8(context) },
      await cryptoKey(secret),
      data,
    );
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}

/**
 * Opens a sealed value: null when no key of the ring opens it (tampered with, sealed for
 * another context, or under a key that has been removed).
 */
function parse(
  sealed: string,
): { kid: string | null; iv: Uint8Array<ArrayBuffer>; data: Uint8Array<ArrayBuffer> } | null {
  const parts = sealed.split('.');
  const [kid, iv, ciphertext] =
    parts[0] === 'v2' && parts.length === 4
      ? [parts[1] as string, parts[2], parts[3]]
      : parts[0] === 'v1' && parts.length === 3
        ? [null, parts[1], parts[2]]
        : [null, undefined, undefined];
  const ivBytes = iv ? fromBase64url(iv) : null;
  const data = ciphertext ? fromBase64url(ciphertext) : null;
  return ivBytes && data ? { kid, iv: new Uint8Array(ivBytes), data: new Uint8Array(data) } : null;
}

/**
 * Opens a sealed value: null when no key of the ring opens it (tampered with, sealed for
 * another context, or under a key that has been removed).
 */
export async function unseal(keys: readonly DataKey[], sealed: string, context: string): Promise<Opened | null> {
  const value = parse(sealed);
  if (!value) return null;
  const candidates = value.kid === null ? keys : keys.filter((k) => k.kid === value.kid);
  for (const candidate of candidates) {
    const plaintext = await decrypt(candidate.key, value.iv, value.data, context);
    if (plaintext !== null) return { plaintext, stale: candidate !== keys[0] || value.kid === null };
  }
  return null;
}

/** Whether a value is sealed under the ring's first key (the sweep leaves such values alone). */
export const sealedWithCurrent = (keys: readonly DataKey[], sealed: string): boolean =>
  keys[0] !== undefined && sealed.startsWith(`v2.${keys[0].kid}.`);

/** The prefix every value sealed under `kid` starts with. */
export const sealedPrefix = (kid: string): string => `v2.${kid}.`;
