/**
 * Password hashing: argon2id from @noble/hashes (m = 19 MiB, t = 2, p = 1; OWASP and
 * ASVS 5.0 11.4.2) in the PHC string format, so parameters can be raised and old hashes
 * upgraded on the next sign-in.
 */
import { argon2id } from '@noble/hashes/argon2.js';
import { randomBytes, utf8 } from './encoding';

export const ARGON2_PARAMS = { m: 19_456, t: 2, p: 1 } as const;
const HASH_BYTES = 32;
const SALT_BYTES = 16;

// PHC strings use standard base64 without padding.
const toB64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replace(/=+$/, '');
function fromB64(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

interface Phc {
  m: number;
  t: number;
  p: number;
  salt: Uint8Array;
  hash: Uint8Array;
}

const PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function parsePhc(phc: string): Phc | null {
  const match = PHC.exec(phc);
  if (!match) return null;
  const salt = fromB64(match[4]!);
  const hash = fromB64(match[5]!);
  if (!salt || !hash) return null;
  return { m: Number(match[1]), t: Number(match[2]), p: Number(match[3]), salt, hash };
}

// Every hash this module has stored was made from the NFKC form, so old hashes need no
// fallback to the raw form (which would cost a second argon2id run on a wrong password).
function derive(password: string, salt: Uint8Array, params: { m: number; t: number; p: number }, dkLen: number) {
  return argon2id(utf8(password.normalize('NFKC')), salt, { ...params, dkLen });
}

/** A PHC string for the NFKC form of `password`, with a fresh salt. */
export function hashPassword(password: string, params: { m: number; t: number; p: number } = ARGON2_PARAMS): string {
  const salt = randomBytes(SALT_BYTES);
  const hash = derive(password, salt, params, HASH_BYTES);
  return `$argon2id$v=19$m=${params.m},t=${params.t},p=${params.p}$${toB64(salt)}$${toB64(hash)}`;
}

/** True when `password`, once NFKC-normalised, matches the PHC string; false for a malformed one. */
export function verifyPassword(password: string, phc: string): boolean {
  const parsed = parsePhc(phc);
  if (!parsed) return false;
  const candidate = derive(password, parsed.salt, parsed, parsed.hash.length);
  return candidate.length === parsed.hash.length && crypto.subtle.timingSafeEqual(candidate, parsed.hash);
}

/** True when a stored hash was made with other parameters than today's. */
export function needsRehash(phc: string): boolean {
  const parsed = parsePhc(phc);
  return !parsed || parsed.m !== ARGON2_PARAMS.m || parsed.t !== ARGON2_PARAMS.t || parsed.p !== ARGON2_PARAMS.p;
}

/**
 * A hash of a random password nobody kept, made with today's parameters. Embedded rather
 * than computed on first use, so the first unknown email of an isolate costs one hash too.
 */
export const DECOY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$f+ws0ZXqcLxVvdZukpBmFA$wp8lVzflnWrBthOuEcQiM2BNt62ibxiudFQt+hJQNFU';

/**
 * Spends the same work as a real verification, for an email that has no account, so the
 * answer's timing does not tell whether the account exists.
 */
export function verifyDecoy(password: string): false {
  verifyPassword(password, DECOY_HASH);
  return false;
}
